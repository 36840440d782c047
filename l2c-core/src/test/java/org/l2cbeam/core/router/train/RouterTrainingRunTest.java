package org.l2cbeam.core.router.train;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNotEquals;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.ClassRule;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;
import org.l2cbeam.core.model.DiT;
import org.l2cbeam.core.model.ReferenceModel;
import org.l2cbeam.core.router.RouterArtifact;

/**
 * Whole runs on the small DiT of the vectors: resume, determinism, per-cache-step training,
 * divergence, bad data.
 */
public class RouterTrainingRunTest {
  @Rule public TemporaryFolder tmp = new TemporaryFolder();

  @ClassRule
  public static final ReferenceModel<DiT> REFERENCE = ReferenceModel.ditForRouterTraining();

  private static TrainingSettings settings(int cacheStep) {
    return new TrainingSettings(
        10, 5e-6, AdamWConfig.l2c(1e-2), 2, 11, cacheStep, AdamW.ZeroGrad.SET_TO_NONE);
  }

  /** 12 random 4x8x8 "latents" with labels 0..9. */
  static InMemoryExamples examples(int n) {
    float[] x = TrainingRandom.stream(99, TrainingRandom.Purpose.NOISE, 0).gaussians(n * 4 * 8 * 8);
    int[] y = new int[n];
    for (int i = 0; i < n; i++) y[i] = i % 10;
    return new InMemoryExamples(new int[] {4, 8, 8}, x, y, "test-examples");
  }

  private static RouterTraining training(int cacheStep) {
    return new RouterTraining(REFERENCE.model(), REFERENCE.fingerprint(), settings(cacheStep));
  }

  @Test
  public void killedAndResumedRunEndsBitIdenticalToAnUninterruptedOne() throws Exception {
    InMemoryExamples data = examples(12);
    Path straight = tmp.getRoot().toPath().resolve("straight.train.safetensors");
    RouterTrainingState uninterrupted =
        training(TrainingSettings.RANDOM_CACHE_STEP).train(data, 7, straight, 2, false, null, 0);
    assertEquals(7, uninterrupted.iteration());

    Path resumed = tmp.getRoot().toPath().resolve("resumed.train.safetensors");
    // "Kill" the run after its 3rd iteration: the checkpoint on disk is the one from iteration 2.
    RuntimeException kill =
        assertThrows(
            RuntimeException.class,
            () ->
                training(TrainingSettings.RANDOM_CACHE_STEP)
                    .train(
                        data,
                        7,
                        resumed,
                        2,
                        false,
                        (it, total, loss, l1, rate) -> {
                          if (it == 3) throw new RuntimeException("killed");
                        },
                        1));
    assertEquals("killed", kill.getMessage());
    assertEquals(2, RouterCheckpoint.read(resumed).state().iteration());

    RouterTrainingState end =
        training(TrainingSettings.RANDOM_CACHE_STEP).train(data, 7, resumed, 2, true, null, 0);
    assertEquals(uninterrupted, end);
    assertArrayEquals(Files.readAllBytes(straight), Files.readAllBytes(resumed));
  }

  @Test
  public void sameSeedSameRouterDifferentSeedDifferentRouter() {
    InMemoryExamples data = examples(8);
    RouterTrainingState a =
        training(TrainingSettings.RANDOM_CACHE_STEP).train(data, 3, null, 0, false, null, 0);
    RouterTrainingState b =
        training(TrainingSettings.RANDOM_CACHE_STEP).train(data, 3, null, 0, false, null, 0);
    assertEquals(a, b);
    TrainingSettings other =
        new TrainingSettings(
            10,
            5e-6,
            AdamWConfig.l2c(1e-2),
            2,
            12,
            TrainingSettings.RANDOM_CACHE_STEP,
            AdamW.ZeroGrad.SET_TO_NONE);
    RouterTrainingState c =
        new RouterTraining(REFERENCE.model(), REFERENCE.fingerprint(), other)
            .train(data, 3, null, 0, false, null, 0);
    assertNotEquals(a, c);
  }

  /**
   * The independence argument, checked: router k trained alone on exactly the batches the joint
   * (random-k) run drew for k ends bit-identical to router k of the joint run.
   */
  @Test
  public void trainingOneCacheStepAloneEqualsItsShareOfTheJointRun() {
    InMemoryExamples data = examples(12);
    TrainingSettings joint = settings(TrainingSettings.RANDOM_CACHE_STEP);
    RouterTraining jointTraining =
        new RouterTraining(REFERENCE.model(), REFERENCE.fingerprint(), joint);
    ShuffledBatches shuffled = new ShuffledBatches(data, joint.seed(), joint.batch());
    List<TrainingBatch> drawn = new ArrayList<>();
    int[] counts = new int[10];
    BatchSource recording =
        (iteration, k) -> {
          TrainingBatch b = shuffled.batch(iteration, k);
          drawn.add(b);
          counts[k]++;
          return b;
        };
    RouterTrainingState jointState =
        jointTraining.trainer().run(jointTraining.initialState(), recording, 8, null, 0, null, 0);
    int k = 0;
    for (int i = 0; i < 10; i += 2) if (counts[i] > counts[k]) k = i;
    assertTrue("some cache step must be drawn twice in 8 iterations", counts[k] >= 2);

    final int step = k;
    List<TrainingBatch> mine = new ArrayList<>();
    for (TrainingBatch b : drawn) if (b.cacheStep() == step) mine.add(b);
    RouterTraining alone =
        new RouterTraining(REFERENCE.model(), REFERENCE.fingerprint(), settings(step));
    RouterTrainingState aloneState = alone.initialState();
    for (TrainingBatch b : mine) alone.trainer().step(REFERENCE.manager(), aloneState, b);

    assertArrayEquals(jointState.logits()[step], aloneState.logits()[step], 0f);
    assertEquals(jointState.optimizer().steps(step), aloneState.optimizer().steps(step));
  }

  @Test
  public void streamTrainerMovesOnlyItsRouter() {
    InMemoryExamples data = examples(12);
    List<LabelledExample> stream = new ArrayList<>();
    for (int i = 0; i < data.size(); i++) {
      float[] v = new float[4 * 8 * 8];
      data.copyExample(i, v, 0);
      stream.add(new LabelledExample(v, data.label(i)));
    }
    RouterTraining t = training(4);
    RouterTrainingState init = t.initialState();
    RouterTrainingState s =
        t.trainCacheStep(stream.iterator(), "stream", 100, null, 0, false, null, 0);
    assertEquals("12 examples at batch 2 give 6 iterations", 6, s.iteration());
    for (int k = 0; k < 10; k++) {
      if (k == 4) {
        assertFalse(java.util.Arrays.equals(init.logits()[k], s.logits()[k]));
        assertEquals(6, s.optimizer().steps(k));
      } else {
        assertArrayEquals("router " + k, init.logits()[k], s.logits()[k], 0f);
        assertEquals(0, s.optimizer().steps(k));
      }
    }
  }

  @Test
  public void nanLossStopsKeepsTheLastGoodCheckpointAndNamesTheStep() {
    InMemoryExamples data = examples(12);
    RouterTraining t = training(TrainingSettings.RANDOM_CACHE_STEP);
    ShuffledBatches clean = new ShuffledBatches(data, 11, 2);
    BatchSource poisoned =
        (iteration, k) -> {
          TrainingBatch b = clean.batch(iteration, k);
          if (iteration == 4) {
            float[] x = b.x0().clone();
            x[0] = Float.NaN;
            return new TrainingBatch(
                b.shape(), x, b.labels(), b.cacheStep(), b.noise(), b.dropLabel());
          }
          return b;
        };
    Path ckpt = tmp.getRoot().toPath().resolve("nan.train.safetensors");
    RouterTrainer.CheckpointSink sink =
        new RouterTrainer.CheckpointSink() {
          @Override
          public void accept(RouterTrainingState s) {
            new RouterCheckpoint(t.settings(), REFERENCE.fingerprint(), data.fingerprint(), s)
                .write(ckpt);
          }

          @Override
          public String describe() {
            return ckpt.toString();
          }
        };
    TrainingDivergedException e =
        assertThrows(
            TrainingDivergedException.class,
            () -> t.trainer().run(t.initialState(), poisoned, 10, sink, 3, null, 0));
    assertEquals(5, e.iteration());
    assertThat(e.getMessage(), containsString("training step 5"));
    assertThat(e.getMessage(), containsString("NaN"));
    assertThat(e.getMessage(), containsString(ckpt.toString()));
    assertThat(e.getMessage(), containsString("(step 3)"));
    RouterCheckpoint kept = RouterCheckpoint.read(ckpt);
    assertEquals(3, kept.state().iteration());
    for (float[] row : kept.state().logits()) for (float p : row) assertTrue(Float.isFinite(p));
  }

  @Test
  public void resumeWithAnotherModelIsRefused() {
    InMemoryExamples data = examples(8);
    Path ckpt = tmp.getRoot().toPath().resolve("m.train.safetensors");
    training(TrainingSettings.RANDOM_CACHE_STEP).train(data, 2, ckpt, 1, false, null, 0);
    RouterTraining otherModel =
        new RouterTraining(
            REFERENCE.model(),
            "0000000000000000feedface",
            settings(TrainingSettings.RANDOM_CACHE_STEP));
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> otherModel.train(data, 4, ckpt, 1, true, null, 0));
    assertThat(e.getMessage(), containsString("cannot resume from " + ckpt));
    assertThat(e.getMessage(), containsString("--model"));
  }

  @Test
  public void startingOverAnExistingCheckpointWithoutResumeIsRefused() {
    InMemoryExamples data = examples(8);
    Path ckpt = tmp.getRoot().toPath().resolve("x.train.safetensors");
    training(TrainingSettings.RANDOM_CACHE_STEP).train(data, 1, ckpt, 1, false, null, 0);
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                training(TrainingSettings.RANDOM_CACHE_STEP)
                    .train(data, 2, ckpt, 1, false, null, 0));
    assertThat(e.getMessage(), containsString("--resume"));
  }

  @Test
  public void emptyDatasetIsNamed() {
    InMemoryExamples empty =
        new InMemoryExamples(new int[] {4, 8, 8}, new float[0], new int[0], "empty.safetensors");
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                training(TrainingSettings.RANDOM_CACHE_STEP)
                    .train(empty, 2, null, 0, false, null, 0));
    assertThat(e.getMessage(), containsString("empty.safetensors"));
    assertThat(e.getMessage(), containsString("empty"));
  }

  @Test
  public void labelOutsideTheModelsClassesIsNamed() {
    int[] y = {0, 1, 10, 3};
    InMemoryExamples bad =
        new InMemoryExamples(new int[] {4, 8, 8}, new float[4 * 256], y, "labels.safetensors");
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                training(TrainingSettings.RANDOM_CACHE_STEP)
                    .train(bad, 2, null, 0, false, null, 0));
    assertThat(e.getMessage(), containsString("labels.safetensors"));
    assertThat(e.getMessage(), containsString("example 2 has label 10"));
  }

  @Test
  public void wrongImageSizeIsNamed() {
    InMemoryExamples bad =
        new InMemoryExamples(
            new int[] {1, 28, 28}, new float[2 * 784], new int[] {1, 2}, "images.idx");
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                training(TrainingSettings.RANDOM_CACHE_STEP)
                    .train(bad, 2, null, 0, false, null, 0));
    assertThat(e.getMessage(), containsString("images.idx"));
    assertThat(e.getMessage(), containsString("1x28x28"));
    assertThat(e.getMessage(), containsString("4x8x8"));
  }

  @Test
  public void artifactCarriesTheTrainingProvenance() throws Exception {
    InMemoryExamples data = examples(8);
    RouterTraining t = training(TrainingSettings.RANDOM_CACHE_STEP);
    RouterTrainingState s = t.train(data, 4, null, 0, false, null, 0);
    Path out = tmp.getRoot().toPath().resolve("router.json");
    t.artifact(s, data.fingerprint(), data.source(), 0.1).write(out);
    RouterArtifact back = RouterArtifact.read(out);
    assertEquals(REFERENCE.fingerprint(), back.modelFingerprint());
    assertEquals(10, back.steps());
    assertEquals(0.1, back.theta(), 0);
    java.util.Map<String, Object> training = back.provenance().training;
    assertEquals(5e-6, ((Number) training.get("lambda")).doubleValue(), 0);
    assertEquals(1e-2, ((Number) training.get("lr")).doubleValue(), 0);
    assertEquals(4, ((Number) training.get("steps")).intValue());
    assertEquals(11, ((Number) training.get("seed")).intValue());
    assertEquals(data.fingerprint(), training.get("dataFingerprint"));
    assertEquals(REFERENCE.fingerprint(), training.get("modelFingerprint"));
    assertTrue(training.get("loss") instanceof java.util.Map);
    float[][] want = s.logits();
    float[][] got = back.scores().logits();
    for (int k = 0; k < want.length; k++) assertArrayEquals(want[k], got[k], 0f);
  }

  @Test
  public void resumingToFewerIterationsThanTheCheckpointHasIsRefused() {
    InMemoryExamples data = examples(8);
    Path ckpt = tmp.getRoot().toPath().resolve("long.train.safetensors");
    training(TrainingSettings.RANDOM_CACHE_STEP).train(data, 3, ckpt, 1, false, null, 0);
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                training(TrainingSettings.RANDOM_CACHE_STEP)
                    .train(data, 1, ckpt, 1, true, null, 0));
    assertThat(
        e.getMessage(),
        containsString(
            "cannot resume from "
                + ckpt
                + ": it has already trained 3 iterations,"
                + " more than the 1 asked for (--steps)"));
  }
}
