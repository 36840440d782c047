package org.l2cbeam.core.model;

import static org.junit.Assert.assertEquals;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import org.junit.ClassRule;
import org.junit.Test;
import org.l2cbeam.core.Parity;
import org.l2cbeam.core.TestResources;
import org.l2cbeam.core.io.WeightMap;

/** The plain U-ViT forward against {@code uvit_forward.safetensors} (procedures P21-P23, P25). */
public class UViTForwardTest {
  static final WeightMap VEC = WeightMap.open(TestResources.vector("uvit_forward.safetensors"));

  @ClassRule public static final ReferenceModel<UViT> REFERENCE = ReferenceModel.uvit();

  @Test
  public void configIsInferredFromShapes() {
    UViTConfig c = REFERENCE.model().config();
    assertEquals(8, c.imageSize);
    assertEquals(2, c.patchSize);
    assertEquals(64, c.hidden);
    assertEquals(2, c.halfDepth);
    assertEquals(5, c.layers());
    assertEquals(10, c.units());
    assertEquals(11, c.numClasses);
    assertEquals(10, c.nullLabel());
  }

  @Test
  public void torchSaveCheckpointGivesTheSameModel() {
    try (UViT fromPt =
            UViT.load(WeightMap.open(TestResources.vector("uvit_model.pt")), ReferenceModel.HEADS);
        NDManager m = REFERENCE.manager().newSubManager()) {
      NDArray x = VEC.get("in.x").toNDArray(m);
      NDArray out =
          fromPt.forward(x, VEC.get("in.t").toFloatArray(), VEC.get("in.y").toLongArray());
      Parity.assertClose("out (.pt)", out, VEC.get("out"), Parity.FORWARD);
    }
  }

  @Test
  public void ditCheckpointIsRejectedNamingTheFile() {
    org.l2cbeam.core.io.CheckpointFormatException e =
        org.junit.Assert.assertThrows(
            org.l2cbeam.core.io.CheckpointFormatException.class,
            () -> UViT.load(WeightMap.open(TestResources.vector("dit_model.safetensors")), 0));
    org.hamcrest.MatcherAssert.assertThat(
        e.getMessage(), org.hamcrest.Matchers.containsString("dit_model.safetensors"));
    org.hamcrest.MatcherAssert.assertThat(
        e.getMessage(), org.hamcrest.Matchers.containsString("not a U-ViT"));
  }

  @Test
  public void labelsOutsideTheTableAreRejected() {
    try (NDManager m = REFERENCE.manager().newSubManager()) {
      NDArray x = VEC.get("in.x").toNDArray(m);
      IllegalArgumentException e =
          org.junit.Assert.assertThrows(
              IllegalArgumentException.class,
              () ->
                  REFERENCE.model().forward(x, VEC.get("in.t").toFloatArray(), new long[] {3, 11}));
      org.hamcrest.MatcherAssert.assertThat(
          e.getMessage(), org.hamcrest.Matchers.containsString("label 11"));
    }
  }

  @Test
  public void randomWeightsModelRunsAtAnyDepth() {
    UViTConfig c = new UViTConfig(8, 2, 4, 32, 3, 2, 64, 5);
    try (UViT random = UViT.randomWeights(c, 1);
        NDManager m = REFERENCE.manager().newSubManager()) {
      NDArray out =
          random.forward(
              m.randomNormal(new ai.djl.ndarray.types.Shape(2, 4, 8, 8)),
              new float[] {1, 500},
              new long[] {0, 4});
      assertEquals(new ai.djl.ndarray.types.Shape(2, 4, 8, 8), out.getShape());
      assertEquals(14, random.units());
    }
  }

  @Test
  public void timeTokenIsTheRawSinusoid() {
    float[] t = VEC.get("in.t").toFloatArray();
    Parity.assertClose(
        "time token",
        REFERENCE.model().timestepEmbedding(t),
        VEC.get("inter.time_token_in").toFloatArray(),
        Parity.FORWARD);
  }

  @Test
  public void forwardMatchesLayerByLayer() {
    try (NDManager m = REFERENCE.manager().newSubManager()) {
      NDArray x = VEC.get("in.x").toNDArray(m);
      float[] t = VEC.get("in.t").toFloatArray();
      long[] y = VEC.get("in.y").toLongArray();
      double[] worst = {0};
      java.util.Set<String> checked = new java.util.HashSet<>();
      NDArray out =
          REFERENCE
              .model()
              .forward(
                  x,
                  t,
                  y,
                  UnitExecutor.COMPUTE_ALL,
                  (layer, h) -> {
                    double e =
                        Parity.assertClose(
                            "layer " + layer, h, VEC.get("layer" + layer + ".out"), Parity.FORWARD);
                    worst[0] = Math.max(worst[0], e);
                    checked.add("layer" + layer + ".out");
                  });
      java.util.Set<String> recorded = new java.util.HashSet<>();
      for (String name : VEC.names()) if (name.matches("layer\\d+\\.out")) recorded.add(name);
      assertEquals("every recorded layer was compared", recorded, checked);
      double e = Parity.assertClose("out", out, VEC.get("out"), Parity.FORWARD);
      System.out.printf("U-ViT forward parity: out %.2e, worst layer %.2e%n", e, worst[0]);
    }
  }

  @Test
  public void unconditionalAndGuidedOutputsMatch() {
    try (NDManager m = REFERENCE.manager().newSubManager()) {
      NDArray x = VEC.get("in.x").toNDArray(m);
      float[] t = VEC.get("in.t").toFloatArray();
      long[] y = VEC.get("in.y").toLongArray();
      long[] nul = {10, 10};
      NDArray cond = REFERENCE.model().forward(x, t, y);
      NDArray uncond = REFERENCE.model().forward(x, t, nul);
      double eu = Parity.assertClose("cfg.uncond", uncond, VEC.get("cfg.uncond"), Parity.FORWARD);
      // the original's scale s = 0.4 is the standard guidance weight w = 1 + s = 1.4: eps = u + w
      // (c - u)
      NDArray guided = uncond.add(cond.sub(uncond).mul(1.4f));
      double eg = Parity.assertClose("cfg.out", guided, VEC.get("cfg.out"), Parity.FORWARD);
      System.out.printf("U-ViT CFG parity: uncond %.2e, guided %.2e%n", eu, eg);
    }
  }
}
