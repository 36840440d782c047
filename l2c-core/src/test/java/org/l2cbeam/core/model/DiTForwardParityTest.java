package org.l2cbeam.core.model;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.HashMap;
import java.util.Map;
import org.junit.ClassRule;
import org.junit.Test;
import org.l2cbeam.core.Parity;
import org.l2cbeam.core.TestResources;
import org.l2cbeam.core.diffusion.Guidance;
import org.l2cbeam.core.io.WeightMap;
import org.l2cbeam.core.runtime.Torch;

/**
 * The DiT forward, forward_with_cfg and L2C cache steps against dit_forward.safetensors (original
 * Python code).
 */
public class DiTForwardParityTest {
  /** Single forwards: the manifest's hint is ~3e-5 of max|ref|. */
  private static final double FORWARD_TOL = Parity.FORWARD;

  @ClassRule public static final ReferenceModel<DiT> REFERENCE = ReferenceModel.dit();
  private static final WeightMap vec =
      WeightMap.open(TestResources.vector("dit_forward.safetensors"));

  @Test
  public void inferredConfigMatchesTheVectorModel() {
    DiTConfig c = REFERENCE.model().config();
    assertEquals(8, c.inputSize);
    assertEquals(2, c.patchSize);
    assertEquals(4, c.inChannels);
    assertEquals(64, c.hiddenSize);
    assertEquals(4, c.depth);
    assertEquals(10, c.numClasses);
    assertTrue(c.learnSigma);
    assertEquals(8, c.units());
  }

  @Test
  public void plainForwardMatchesOutputIntermediatesAndBlockOutputs() {
    try (NDManager m = REFERENCE.manager().newSubManager()) {
      Map<String, float[]> seen = new HashMap<>();
      NDArray out =
          REFERENCE
              .model()
              .forward(
                  vec.get("in.x").toNDArray(m),
                  vec.get("in.t").toNDArray(m),
                  vec.get("in.y").toNDArray(m),
                  UnitPlan.computeAll(8),
                  null,
                  (name, value) -> seen.put(name, value.toFloatArray()));
      Parity.assertClose("out", out, vec.get("out"), FORWARD_TOL);
      for (String name : vec.names()) {
        // cos/sin of t*freq with t up to 999 magnify float32 rounding of the argument: the project
        // bar applies.
        double tol = name.equals("inter.t_freq") ? Parity.TRAJECTORY : FORWARD_TOL;
        String probeName = null;
        if (name.startsWith("inter.")) probeName = name.substring("inter.".length());
        if (name.matches("block\\d+\\.out")) probeName = name;
        if (probeName == null) continue;
        float[] got = seen.get(probeName);
        assertTrue("probe did not report " + probeName, got != null);
        Parity.assertClose(name, got, vec.get(name).toFloatArray(), tol);
      }
    }
  }

  @Test
  public void forwardWithCfgGuidesTheFirstThreeChannels() {
    try (NDManager m = REFERENCE.manager().newSubManager()) {
      NDArray x = vec.get("in.x").toNDArray(m);
      NDArray t = vec.get("in.t").toNDArray(m);
      NDArray out =
          REFERENCE
              .model()
              .forwardWithCfg(
                  x.concat(x, 0),
                  t.concat(t, 0),
                  vec.get("cfg.y").toNDArray(m),
                  new Guidance(4.0, Guidance.Channels.FIRST_THREE));
      Parity.assertClose("cfg.out", out, vec.get("cfg.out"), FORWARD_TOL);
    }
  }

  @Test
  public void fullStepThenHardCacheStep() {
    try (NDManager m = REFERENCE.manager().newSubManager();
        LayerCache cache = new LayerCache(m, REFERENCE.model().units())) {
      NDArray y = vec.get("in.y").toNDArray(m);
      NDArray outFull =
          REFERENCE
              .model()
              .forward(
                  vec.get("in.x").toNDArray(m),
                  vec.get("l2c.t_full").toNDArray(m),
                  y,
                  UnitPlan.recordAll(8),
                  cache);
      Parity.assertClose("l2c.out_full", outFull, vec.get("l2c.out_full"), FORWARD_TOL);
      assertTrue(cache.isFull());
      for (int b = 0; b < 4; b++) {
        Parity.assertClose(
            "l2c.full.block" + b + ".attn_cached",
            cache.get(2 * b),
            vec.get("l2c.full.block" + b + ".attn_cached"),
            FORWARD_TOL);
        Parity.assertClose(
            "l2c.full.block" + b + ".mlp_cached",
            cache.get(2 * b + 1),
            vec.get("l2c.full.block" + b + ".mlp_cached"),
            FORWARD_TOL);
      }
      long[] mask = vec.get("l2c.compute_mask").toLongArray();
      boolean[] compute = new boolean[mask.length];
      for (int u = 0; u < mask.length; u++) compute[u] = mask[u] != 0;
      NDArray outCache =
          REFERENCE
              .model()
              .forward(
                  vec.get("in.x2").toNDArray(m),
                  vec.get("l2c.t_cache").toNDArray(m),
                  y,
                  UnitPlan.hard(compute),
                  cache);
      Parity.assertClose("l2c.out_cache", outCache, vec.get("l2c.out_cache"), FORWARD_TOL);
    }
  }

  @Test
  public void softCacheStepWithRouterRowEight() {
    WeightMap router = WeightMap.open(TestResources.vector("dit_router.safetensors"));
    float[] prob = router.get("router.prob").toFloatArray();
    float[] row = java.util.Arrays.copyOfRange(prob, 8 * 8, 9 * 8);
    try (NDManager m = REFERENCE.manager().newSubManager();
        LayerCache cache = new LayerCache(m, REFERENCE.model().units())) {
      NDArray y = vec.get("in.y").toNDArray(m);
      REFERENCE
          .model()
          .forward(
              vec.get("in.x").toNDArray(m),
              vec.get("l2c.t_full").toNDArray(m),
              y,
              UnitPlan.recordAll(8),
              cache);
      NDArray beta = m.create(row).getNDArrayInternal().sigmoid();
      NDArray out =
          REFERENCE
              .model()
              .forward(
                  vec.get("in.x2").toNDArray(m),
                  vec.get("l2c.t_cache").toNDArray(m),
                  y,
                  UnitPlan.soft(beta),
                  cache);
      Parity.assertClose("l2c.soft.out_cache", out, vec.get("l2c.soft.out_cache"), FORWARD_TOL);
      Parity.assertClose("l2c.soft.l1", beta.sum().reshape(1), vec.get("l2c.soft.l1"), FORWARD_TOL);
    }
  }

  @Test
  public void reusedUnitsAreNotComputed() {
    // Every unit reused: the cache step must not need the branches, so the probe never sees a fresh
    // value that
    // differs from the cached one.
    try (NDManager m = REFERENCE.manager().newSubManager();
        LayerCache cache = new LayerCache(m, REFERENCE.model().units())) {
      NDArray y = vec.get("in.y").toNDArray(m);
      REFERENCE
          .model()
          .forward(
              vec.get("in.x").toNDArray(m),
              vec.get("l2c.t_full").toNDArray(m),
              y,
              UnitPlan.recordAll(8),
              cache);
      Map<String, float[]> seen = new HashMap<>();
      REFERENCE
          .model()
          .forward(
              vec.get("in.x2").toNDArray(m),
              vec.get("l2c.t_cache").toNDArray(m),
              y,
              UnitPlan.hard(new boolean[8]),
              cache,
              (name, value) -> seen.put(name, value.toFloatArray()));
      for (int b = 0; b < 4; b++) {
        float[] attn = seen.get("block" + b + ".attn_out");
        float[] mlp = seen.get("block" + b + ".mlp_out");
        assertEquals(
            0.0, Parity.relativeError("attn_out " + b, attn, cache.get(2 * b).toFloatArray()), 0);
        assertEquals(
            0.0, Parity.relativeError("mlp_out " + b, mlp, cache.get(2 * b + 1).toFloatArray()), 0);
      }
    }
  }

  @Test
  public void softPathBackpropagatesIntoBetaOnly() {
    try (NDManager m = REFERENCE.manager().newSubManager();
        LayerCache cache = new LayerCache(m, REFERENCE.model().units())) {
      NDArray y = vec.get("in.y").toNDArray(m);
      REFERENCE
          .model()
          .forward(
              vec.get("in.x").toNDArray(m),
              vec.get("l2c.t_full").toNDArray(m),
              y,
              UnitPlan.recordAll(8),
              cache);
      WeightMap router = WeightMap.open(TestResources.vector("dit_router.safetensors"));
      float[] row = java.util.Arrays.copyOfRange(router.get("router.prob").toFloatArray(), 64, 72);
      NDArray p = m.create(row);
      p.setRequiresGradient(true);
      Torch.setGradMode(true);
      try (ai.djl.training.GradientCollector gc = Torch.engine().newGradientCollector()) {
        NDArray beta = p.getNDArrayInternal().sigmoid();
        NDArray out =
            REFERENCE
                .model()
                .forward(
                    vec.get("in.x2").toNDArray(m),
                    vec.get("l2c.t_cache").toNDArray(m),
                    y,
                    UnitPlan.soft(beta),
                    cache);
        gc.backward(out.square().mean());
      } finally {
        Torch.inferenceMode();
      }
      float[] g = p.getGradient().toFloatArray();
      double norm = 0;
      for (float v : g) {
        assertTrue("finite gradient", Float.isFinite(v));
        norm += v * v;
      }
      assertTrue("gradient reaches the router logits", norm > 0);
    }
  }
}
