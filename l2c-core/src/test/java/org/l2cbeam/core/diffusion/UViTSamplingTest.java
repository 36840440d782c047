package org.l2cbeam.core.diffusion;

import static org.junit.Assert.assertEquals;

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
 * DPM-Solver++(2S) trajectories, plain (P29) and with L2C caching (P30), checked after every step.
 */
public class UViTSamplingTest {
  static final WeightMap VEC = WeightMap.open(TestResources.vector("uvit_sampling.safetensors"));

  @ClassRule public static final ReferenceModel<UViT> REFERENCE = ReferenceModel.uvit();

  @Test
  public void plainTrajectoryMatchesEveryStep() {
    run("plain", null);
  }

  @Test
  public void cachedTrajectoryMatchesEveryStep() {
    run("l2c", UViTCacheSequenceTest.scheduleFromRouterVectors(5));
  }

  private void run(String prefix, CacheSchedule schedule) {
    DpmSolver2S solver = new DpmSolver2S(DiscreteVpSchedule.stableDiffusion(), 10);
    long[] y = VEC.get("in.y").toLongArray();
    float[] steps = VEC.get(prefix + ".step_x").toFloatArray();
    float[] evals = VEC.get(prefix + ".model_out").toFloatArray();
    int per = steps.length / solver.outerSteps();
    double[] worst = {0, 0};
    int[] checked = {0, 0}; // steps and evaluations compared: the callbacks must really run
    UViTSampler sampler = new UViTSampler(REFERENCE.model(), solver, 1.4, schedule);
    try (NDManager m = REFERENCE.manager().newSubManager();
        UViTSampler.Caches caches = sampler.new Caches(m)) {
      DpmSolver2S.NoisePredictor guided = sampler.guidedPredictor(y, caches);
      DpmSolver2S.NoisePredictor checkedPredictor =
          (x, t, ev) -> {
            NDArray e = guided.predict(x, t, ev);
            checked[1]++;
            float[] ref =
                java.util.Arrays.copyOfRange(evals, ev.index() * per, (ev.index() + 1) * per);
            worst[1] =
                Math.max(
                    worst[1],
                    Parity.assertClose(
                        prefix + " eps at evaluation " + ev.index(),
                        e.toFloatArray(),
                        ref,
                        Parity.TRAJECTORY));
            return e;
          };
      NDArray z = VEC.get("in.z").toNDArray(m);
      NDArray out =
          solver.sample(
              z,
              checkedPredictor,
              (k, x) -> {
                checked[0]++;
                float[] ref = java.util.Arrays.copyOfRange(steps, k * per, (k + 1) * per);
                worst[0] =
                    Math.max(
                        worst[0],
                        Parity.assertClose(
                            prefix + " x after step " + k,
                            x.toFloatArray(),
                            ref,
                            Parity.TRAJECTORY));
              });
      try (NDManager again = REFERENCE.manager().newSubManager()) {
        NDArray viaSampler = sampler.sample(VEC.get("in.z").toNDArray(again), y, null);
        Parity.assertClose(
            prefix + ".final (UViTSampler.sample)",
            viaSampler,
            VEC.get(prefix + ".final"),
            Parity.TRAJECTORY);
      }
      assertEquals("steps checked", solver.outerSteps(), checked[0]);
      assertEquals("evaluations checked", 10, checked[1]);
      double f =
          Parity.assertClose(prefix + ".final", out, VEC.get(prefix + ".final"), Parity.TRAJECTORY);
      System.out.printf(
          "U-ViT DPM-Solver %s trajectory parity: steps %.2e, evaluations %.2e, final %.2e%n",
          prefix, worst[0], worst[1], f);
    }
  }
}
