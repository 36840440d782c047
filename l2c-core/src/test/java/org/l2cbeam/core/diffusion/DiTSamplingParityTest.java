package org.l2cbeam.core.diffusion;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.ClassRule;
import org.junit.Test;
import org.l2cbeam.core.Parity;
import org.l2cbeam.core.TestResources;
import org.l2cbeam.core.io.WeightMap;
import org.l2cbeam.core.model.DiT;
import org.l2cbeam.core.model.ReferenceModel;
import org.l2cbeam.core.router.CacheSchedule;

/**
 * Respaced schedule and whole DDIM / L2C-DDIM / DDPM trajectories against dit_sampling.safetensors.
 */
public class DiTSamplingParityTest {
  private static final int STEPS = 10;

  @ClassRule public static final ReferenceModel<DiT> REFERENCE = ReferenceModel.dit();
  private static final WeightMap vec =
      WeightMap.open(TestResources.vector("dit_sampling.safetensors"));

  @Test
  public void respacedScheduleMatchesSpacedDiffusionInFloat64() {
    NoiseSchedule s = NoiseSchedule.dit(STEPS);
    assertClose64("diffusion.betas", s.betas());
    assertClose64("diffusion.alphas_cumprod", s.alphasCumprod());
    assertClose64("diffusion.alphas_cumprod_prev", s.alphasCumprodPrev());
    assertClose64("diffusion.posterior_variance", s.posteriorVariance());
    assertClose64("diffusion.posterior_log_variance_clipped", s.posteriorLogVarianceClipped());
    assertClose64("diffusion.posterior_mean_coef1", s.posteriorMeanCoef1());
    assertClose64("diffusion.posterior_mean_coef2", s.posteriorMeanCoef2());
    long[] model = vec.get("timesteps_model").toLongArray();
    long[] spaced = vec.get("timesteps_spaced").toLongArray();
    for (int i = 0; i < STEPS; i++) {
      assertEquals(STEPS - 1 - i, spaced[i]);
      assertEquals(model[i], s.timestep((int) spaced[i]));
    }
  }

  @Test
  public void spaceTimestepsMatchesTheSpecLists() {
    assertArrayEquals(
        new int[] {
          0, 53, 105, 158, 210, 263, 315, 368, 421, 473, 526, 578, 631, 684, 736, 789, 841, 894,
          946, 999
        },
        Respacing.timesteps(1000, "20"));
    int[] fifty = Respacing.timesteps(1000, "50");
    assertEquals(50, fifty.length);
    assertArrayEquals(new int[] {0, 20, 41, 61, 82, 102, 122, 143}, Arrays.copyOf(fifty, 8));
    assertEquals(999, fifty[49]);
    int[] ten = Respacing.timesteps(1000, "10");
    assertEquals(111, ten[1]);
    assertEquals(999, ten[9]);
    int[] ddim = Respacing.timesteps(1000, "ddim20");
    assertEquals(20, ddim.length);
    assertEquals(50, ddim[1]);
    assertEquals(950, ddim[19]);
  }

  @Test
  public void plainDdimTrajectory() {
    Trajectory tr = run(new DdimSampler(NoiseSchedule.dit(STEPS)), null);
    tr.assertMatches("ddim");
  }

  @Test
  public void cachedDdimTrajectoryWithRouterSchedule() {
    Trajectory tr = run(new DdimSampler(NoiseSchedule.dit(STEPS)), routerSchedule());
    tr.assertMatches("l2c_ddim");
  }

  @Test
  public void ddpmTrajectoryWithRecordedNoise() {
    float[] noise = vec.get("ddpm.step_noise").toFloatArray();
    NoiseSource recorded =
        (m, k, shape) -> {
          int per = Math.toIntExact(shape.size());
          int row = STEPS - 1 - k; // recorded in execution order
          return m.create(Arrays.copyOfRange(noise, row * per, (row + 1) * per), shape);
        };
    Trajectory tr = run(new DdpmSampler(NoiseSchedule.dit(STEPS), recorded), null);
    tr.assertMatches("ddpm");
  }

  @Test
  public void allComputeScheduleIsBitIdenticalToThePlainSampler() {
    DdimSampler ddim = new DdimSampler(NoiseSchedule.dit(STEPS));
    Trajectory plain = run(ddim, null);
    Trajectory cached = run(ddim, CacheSchedule.allCompute(STEPS, REFERENCE.model().units()));
    for (int i = 0; i < STEPS; i++) {
      assertArrayEquals("step " + i, plain.samples.get(i), cached.samples.get(i), 0f);
      assertArrayEquals("step " + i, plain.modelOut.get(i), cached.modelOut.get(i), 0f);
    }
  }

  static CacheSchedule routerSchedule() {
    WeightMap router = WeightMap.open(TestResources.vector("dit_router.safetensors"));
    long[] mask = router.get("router.compute_mask").toLongArray();
    int units = 8;
    boolean[][] c = new boolean[STEPS][units];
    for (int k = 0; k < STEPS; k++)
      for (int u = 0; u < units; u++) c[k][u] = mask[k * units + u] != 0;
    return new CacheSchedule(c);
  }

  private Trajectory run(Sampler sampler, CacheSchedule schedule) {
    Trajectory tr = new Trajectory();
    try (NDManager m = REFERENCE.manager().newSubManager()) {
      NDArray z2 = vec.get("in.z").toNDArray(m);
      long[] y2 = vec.get("in.y").toLongArray();
      NDArray z = z2.get("0:2");
      long[] labels = Arrays.copyOf(y2, 2);
      DiTSampler s =
          new DiTSampler(
              REFERENCE.model(),
              sampler,
              new Guidance(1.5, Guidance.Channels.FIRST_THREE),
              schedule);
      NDArray out =
          s.sample(
              z,
              labels,
              (k, sample, x0, modelOut) -> {
                tr.samples.add(sample.toFloatArray());
                tr.predX0.add(x0.toFloatArray());
                tr.modelOut.add(modelOut.toFloatArray());
              });
      assertEquals(new Shape(2, 4, 8, 8), out.getShape());
      tr.finalCond = out.toFloatArray();
      tr.computed = s.computedFraction();
    }
    return tr;
  }

  private static final class Trajectory {
    final List<float[]> samples = new ArrayList<>();
    final List<float[]> predX0 = new ArrayList<>();
    final List<float[]> modelOut = new ArrayList<>();
    float[] finalCond;
    double computed;

    void assertMatches(String prefix) {
      assertEquals(STEPS, samples.size());
      check(prefix + ".samples", samples);
      check(prefix + ".pred_xstart", predX0);
      check(prefix + ".model_out", modelOut);
      float[] fin = vec.get(prefix + ".final").toFloatArray();
      Parity.assertClose(
          prefix + ".final[cond half]",
          finalCond,
          Arrays.copyOf(fin, finalCond.length),
          Parity.TRAJECTORY);
      assertTrue(computed > 0);
    }

    private void check(String key, List<float[]> got) {
      float[] ref = vec.get(key).toFloatArray();
      int per = ref.length / STEPS;
      float[] all = new float[ref.length];
      for (int i = 0; i < STEPS; i++) System.arraycopy(got.get(i), 0, all, i * per, per);
      Parity.assertStepsClose(key, all, ref, STEPS, Parity.TRAJECTORY);
    }
  }

  private static void assertClose64(String key, double[] got) {
    double[] ref = vec.get(key).toDoubleArray();
    Parity.maxAbsDifference(key, got, ref); // same length, and no NaN or infinity on either side
    for (int i = 0; i < ref.length; i++) {
      assertEquals(key + "[" + i + "]", ref[i], got[i], Math.abs(ref[i]) * 1e-12);
    }
  }
}
