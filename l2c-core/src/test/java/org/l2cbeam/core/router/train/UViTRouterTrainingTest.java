package org.l2cbeam.core.router.train;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import ai.djl.ndarray.NDManager;
import org.junit.ClassRule;
import org.junit.Test;
import org.l2cbeam.core.model.ReferenceModel;
import org.l2cbeam.core.model.UViT;
import org.l2cbeam.core.router.ModelFamily;
import org.l2cbeam.core.router.RouterArtifact;
import org.l2cbeam.core.runtime.Torch;

/**
 * U-ViT routers through the shared trainer: U-ViT pairing (rows 1..K−1), no clamp, U-ViT artifact.
 */
public class UViTRouterTrainingTest {
  @ClassRule public static final ReferenceModel<UViT> REFERENCE = ReferenceModel.uvit();

  private static TrainingSettings settings(int cacheStep) {
    return new TrainingSettings(
        ModelFamily.UVIT,
        10,
        0.1,
        AdamWConfig.l2c(1e-3),
        2,
        5,
        cacheStep,
        AdamW.ZeroGrad.SET_TO_NONE);
  }

  @Test
  public void trainedRowsAreTheOuterStepsOneToKMinusOne() {
    assertArrayEquals(
        new int[] {1, 2, 3, 4}, settings(TrainingSettings.RANDOM_CACHE_STEP).cacheStepRows());
    assertEquals(0.1, TrainingSettings.defaultLambda(ModelFamily.UVIT, 20), 0);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> settings(0));
    assertThat(e.getMessage(), containsString("--cache-step 0"));
    assertThat(e.getMessage(), containsString("outer steps 1..4"));
    TrainingSettings s = settings(3);
    assertEquals(s, TrainingSettings.fromJson(s.toJson()));
  }

  @Test
  public void randomCacheStepsTrainOnlyTheirRouterWithoutClamp() {
    RouterTraining training =
        RouterTraining.uvit(
            REFERENCE.model(),
            REFERENCE.fingerprint(),
            settings(TrainingSettings.RANDOM_CACHE_STEP),
            UViTRouterObjective.TimeInput.INTEGER);
    RouterTrainingState state = training.initialState();
    // A logit far outside DiT's [-5, 5] clamp: U-ViT's training must leave it there.
    state.mutableLogits()[2][0] = 9f;
    float[][] before = state.logits();
    InMemoryExamples data = RouterTrainingRunTest.examples(6);
    try (NDManager m = Torch.newManager()) {
      RouterTrainer trainer = training.trainer();
      java.util.Set<Integer> trained = new java.util.TreeSet<>();
      for (int i = 0; i < 6; i++) {
        int k = TrainingBatch.cacheStepOf(training.settings(), i);
        assertTrue("cache step " + k, k >= 1 && k <= 4);
        trained.add(k);
        float[] x0 = new float[2 * 4 * 8 * 8];
        data.copyExample(i % data.size(), x0, 0);
        data.copyExample((i + 1) % data.size(), x0, 4 * 8 * 8);
        TrainingBatch batch =
            TrainingBatch.draw(5, i, k, new int[] {4, 8, 8}, x0, new long[] {1, 2});
        RouterObjective.Evaluation e = trainer.step(m, state, batch);
        assertTrue(e.toString(), e.isFinite() && e.loss > 0);
      }
      float[][] after = state.logits();
      for (int r = 0; r < after.length; r++) {
        boolean changed = !java.util.Arrays.equals(before[r], after[r]);
        assertEquals(
            "router " + r + (trained.contains(r) ? " trained" : " untouched"),
            trained.contains(r),
            changed);
      }
      assertTrue("no clamp: " + after[2][0], after[2][0] > 8f);
    }
    RouterArtifact artifact = training.artifact(state, "examples", "test", 0.9);
    assertEquals(ModelFamily.UVIT, artifact.scores().family());
  }

  @Test
  public void ditSettingsAreRejectedForAUViT() {
    TrainingSettings dit =
        new TrainingSettings(
            10,
            5e-6,
            AdamWConfig.l2c(1e-3),
            2,
            5,
            TrainingSettings.RANDOM_CACHE_STEP,
            AdamW.ZeroGrad.SET_TO_NONE);
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                RouterTraining.uvit(
                    REFERENCE.model(),
                    REFERENCE.fingerprint(),
                    dit,
                    UViTRouterObjective.TimeInput.INTEGER));
    assertThat(e.getMessage(), containsString("uvit settings"));
  }
}
