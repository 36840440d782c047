package org.l2cbeam.core.model;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import org.junit.After;
import org.junit.Before;
import org.junit.Test;
import org.l2cbeam.core.Parity;
import org.l2cbeam.core.TestResources;
import org.l2cbeam.core.io.WeightMap;
import org.l2cbeam.core.runtime.Torch;

/**
 * The oneDNN kernel path against the plain one, on the same weights: forwards agree to the parity
 * tolerance, bf16 is close but not exact, a width that oneDNN packs wrongly on some CPUs still
 * gives the right numbers, and the path that runs is the one reported.
 */
public class KernelPathsTest {
  private static final ModelExecution ONEDNN = ModelExecution.of(Kernels.ONEDNN, Precision.FP32);
  private static final ModelExecution BF16 = ModelExecution.of(Kernels.ONEDNN, Precision.BF16);

  private NDManager manager;

  @Before
  public void setUp() {
    Torch.inferenceMode();
    manager = Torch.newManager();
  }

  @After
  public void tearDown() {
    manager.close();
  }

  @Test
  public void theOneDnnPathRunsWhereItLoadsAndSaysWhyWhereItDoesNot() {
    ModelExecution actual = FusedBranches.resolve(ONEDNN);
    String why = FusedBranches.failure(Precision.FP32);
    if (why == null) {
      assertEquals(ONEDNN, actual);
    } else {
      assertEquals(
          "a fallback is the plain path, with its reason logged: " + why,
          ModelExecution.plain(),
          actual);
    }
  }

  @Test
  public void ditForwardsAgreeAcrossKernels() {
    WeightMap w = WeightMap.open(TestResources.vector("dit_model.safetensors"));
    DiTConfig cfg = DiTConfig.infer(w, 4);
    float[] plain = ditForward(DiT.load(w, cfg, manager, ModelExecution.plain()));
    DiT onednn = DiT.load(w, cfg, manager, ONEDNN);
    if (FusedBranches.failure(Precision.FP32) == null) {
      assertEquals(
          "every unit packed, so the fused branches are what this compares",
          2 * cfg.depth,
          onednn.packedUnits());
    }
    float[] fused = ditForward(onednn);
    Parity.assertClose("DiT forward, onednn vs plain", fused, plain, 3e-6);
  }

  @Test
  public void uvitForwardsAgreeAcrossKernels() {
    WeightMap w = WeightMap.open(TestResources.vector("uvit_model.safetensors"));
    UViTConfig cfg = UViTConfig.infer(w, 4);
    float[] plain = uvitForward(UViT.load(w, cfg, ModelExecution.plain()));
    float[] fused = uvitForward(UViT.load(w, cfg, ONEDNN));
    Parity.assertClose("U-ViT forward, onednn vs plain", fused, plain, 3e-6);
  }

  @Test
  public void bf16IsCloseToFp32ButNotTheSame() {
    WeightMap w = WeightMap.open(TestResources.vector("dit_model.safetensors"));
    DiTConfig cfg = DiTConfig.infer(w, 4);
    DiT bf16Model = DiT.load(w, cfg, manager, BF16);
    float[] fp32 = ditForward(DiT.load(w, cfg, manager, ONEDNN));
    float[] bf16 = ditForward(bf16Model);
    if (bf16Model.execution().precision() == Precision.BF16) {
      double rel = Parity.relativeError("bf16 vs fp32 forward", bf16, fp32);
      assertTrue("bf16 forward error " + rel, rel > 1e-6 && rel < 3e-2);
    } else {
      assertNotNull(
          "bf16 fell back to fp32 without a reason", FusedBranches.failure(Precision.BF16));
      Parity.assertClose("bf16 fallback = fp32", bf16, fp32, 0);
    }
  }

  /**
   * Width 80: on AVX-512 AMD Zen 5, libtorch 2.7.1's oneDNN packs an 80-wide output wrongly (half
   * of each output off). The load-time check of each packed layer must catch it, so the model still
   * computes the plain numbers.
   */
  @Test
  public void aWidthThatPacksWronglyStillGivesThePlainNumbers() {
    DiTConfig cfg = new DiTConfig(8, 2, 4, 80, 2, 4, 4.0, 10, true);
    float[] plain = ditForward(DiT.random(cfg, manager, ModelExecution.plain()));
    float[] fused = ditForward(DiT.random(cfg, manager, ONEDNN));
    Parity.assertClose("DiT width 80, onednn vs plain", fused, plain, 3e-6);
  }

  @Test
  public void optionValuesAreParsedWithTheOptionNamed() {
    assertEquals(Kernels.PLAIN, Kernels.parse(" Plain ", "--kernels"));
    assertEquals(Precision.BF16, Precision.parse("bf16", "--precision"));
    assertThat(
        assertThrows(IllegalArgumentException.class, () -> Kernels.parse("mkl", "--kernels"))
            .getMessage(),
        containsString("--kernels must be onednn or plain, got 'mkl'"));
    assertThat(
        assertThrows(IllegalArgumentException.class, () -> Precision.parse("fp16", "--precision"))
            .getMessage(),
        containsString("--precision must be fp32 or bf16, got 'fp16'"));
    assertThat(
        assertThrows(
                IllegalArgumentException.class,
                () -> ModelExecution.of(Kernels.PLAIN, Precision.BF16))
            .getMessage(),
        containsString("bf16 precision needs"));
    assertEquals("onednn/bf16", BF16.toString());
  }

  private float[] ditForward(DiT dit) {
    try (dit;
        NDManager s = manager.newSubManager()) {
      DiTConfig c = dit.config();
      Torch.engine().setRandomSeed(3);
      NDArray x = s.randomNormal(new Shape(4, c.inChannels, c.inputSize, c.inputSize));
      return dit.forward(
              x,
              s.create(new long[] {0, 250, 500, 999}),
              s.create(new long[] {0, 1, 2, c.numClasses}))
          .toFloatArray();
    }
  }

  private float[] uvitForward(UViT uvit) {
    try (uvit;
        NDManager s = manager.newSubManager()) {
      UViTConfig c = uvit.config();
      Torch.engine().setRandomSeed(3);
      NDArray x = s.randomNormal(new Shape(2, c.inChannels, c.imageSize, c.imageSize));
      return uvit.forward(x, new float[] {100.5f, 900f}, new long[] {0, 1}).toFloatArray();
    }
  }
}
