package org.l2cbeam.core.diffusion;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import org.junit.ClassRule;
import org.junit.Test;
import org.l2cbeam.core.Parity;
import org.l2cbeam.core.TestResources;
import org.l2cbeam.core.io.WeightMap;
import org.l2cbeam.core.model.ReferenceModel;
import org.l2cbeam.core.model.UViT;
import org.l2cbeam.core.router.CacheSchedule;

/**
 * The 6-call L2C sequence of {@code uvit_dynamic.UViT} (procedure P24): cond/uncond at the start of
 * outer step 0, at its midpoint (full, records both caches), then at the start of step 1 (cache
 * step, router row 1).
 */
public class UViTCacheSequenceTest {
  static final WeightMap VEC = WeightMap.open(TestResources.vector("uvit_forward.safetensors"));
  static final WeightMap ROUTER = WeightMap.open(TestResources.vector("uvit_router.safetensors"));

  @ClassRule public static final ReferenceModel<UViT> REFERENCE = ReferenceModel.uvit();

  /** Row k (k = 1..K−1) computes unit u iff sigmoid(p_k[u]) > θ; row 0 has no cache. */
  static CacheSchedule scheduleFromRouterVectors(int outerSteps) {
    float[] p = ROUTER.get("router.prob").toFloatArray();
    int units = (int) ROUTER.shape("router.prob")[1];
    float theta = ROUTER.get("router.thres").toFloatArray()[0];
    boolean[][] compute = new boolean[outerSteps][units];
    for (int k = 0; k < outerSteps; k++) {
      for (int u = 0; u < units; u++) {
        float beta = (float) (1 / (1 + Math.exp(-p[k * units + u])));
        compute[k][u] = k == 0 || beta > theta;
      }
    }
    return new CacheSchedule(compute);
  }

  @Test
  public void scheduleRowsAreTheReferenceMasks() {
    CacheSchedule s = scheduleFromRouterVectors(5);
    long[] mask = ROUTER.get("router.compute_mask").toLongArray();
    for (int k = 0; k < 5; k++) {
      for (int u = 0; u < 10; u++) {
        assertTrue("step " + k + " unit " + u, s.computes(k, u) == (mask[k * 10 + u] == 1));
      }
    }
    long[] used = VEC.get("l2c.compute_mask").toLongArray();
    boolean[] row1 = s.row(1);
    for (int u = 0; u < 10; u++) assertTrue("call 4/5 unit " + u, row1[u] == (used[u] == 1));
  }

  @Test
  public void sixCallSequenceMatchesWithSeparateCondAndUncondCaches() {
    DpmSolver2S solver = new DpmSolver2S(DiscreteVpSchedule.stableDiffusion(), 10);
    long[] y = VEC.get("in.y").toLongArray();
    UViTSampler sampler =
        new UViTSampler(REFERENCE.model(), solver, 1.4, scheduleFromRouterVectors(5));
    try (NDManager m = REFERENCE.manager().newSubManager();
        UViTSampler.Caches caches = sampler.new Caches(m)) {
      NDArray x = VEC.get("in.x").toNDArray(m);
      NDArray xb = VEC.get("in.xb").toNDArray(m);
      NDArray xc = VEC.get("in.xc").toNDArray(m);
      UViTSampler.Evaluation a =
          sampler.evaluate(
              x,
              VEC.get("l2c.ta").toFloatArray()[0],
              new DpmSolver2S.Evaluation(0, false),
              y,
              caches);
      UViTSampler.Evaluation b =
          sampler.evaluate(
              xb,
              VEC.get("l2c.tb").toFloatArray()[0],
              new DpmSolver2S.Evaluation(0, true),
              y,
              caches);
      UViTSampler.Evaluation c =
          sampler.evaluate(
              xc,
              VEC.get("l2c.tc").toFloatArray()[0],
              new DpmSolver2S.Evaluation(1, false),
              y,
              caches);
      double worst = 0;
      worst = Math.max(worst, check("l2c.out.a.cond", a.cond));
      worst = Math.max(worst, check("l2c.out.a.uncond", a.uncond));
      worst = Math.max(worst, check("l2c.out.b.cond", b.cond));
      worst = Math.max(worst, check("l2c.out.b.uncond", b.uncond));
      worst = Math.max(worst, check("l2c.out.c.cond", c.cond));
      worst = Math.max(worst, check("l2c.out.c.uncond", c.uncond));
      // the cache step really reuses: it differs from the plain forward
      float[] plain = VEC.get("l2c.out.c.cond_reference_nocache").toFloatArray();
      assertTrue(Parity.relativeError("cached vs plain", c.cond.toFloatArray(), plain) > 1e-2);
      System.out.printf("U-ViT 6-call cache sequence parity: worst %.2e%n", worst);
    }
  }

  @Test
  public void nonFiniteOutputNamesTheEvaluation() {
    DpmSolver2S solver = new DpmSolver2S(DiscreteVpSchedule.stableDiffusion(), 4);
    UViTSampler sampler = new UViTSampler(REFERENCE.model(), solver, 1.4, null);
    try (NDManager m = REFERENCE.manager().newSubManager()) {
      float[] z = new float[2 * 4 * 8 * 8];
      z[5] = Float.NaN;
      NDArray noise = m.create(z, new ai.djl.ndarray.types.Shape(2, 4, 8, 8));
      NonFiniteOutputException e =
          org.junit.Assert.assertThrows(
              NonFiniteOutputException.class, () -> sampler.sample(noise, new long[] {1, 2}, null));
      org.hamcrest.MatcherAssert.assertThat(
          e.getMessage(), org.hamcrest.Matchers.containsString("step 0 start (evaluation 0 of 4"));
      org.hamcrest.MatcherAssert.assertThat(
          e.getMessage(),
          org.hamcrest.Matchers.containsString("input latent is already non-finite"));
    }
  }

  private static double check(String key, NDArray got) {
    assertArrayEquals(key, VEC.get(key).shape(), got.getShape().getShape());
    return Parity.assertClose(key, got, VEC.get(key), Parity.FORWARD);
  }
}
