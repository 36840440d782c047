package org.l2cbeam.core.diffusion;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.Arrays;
import org.junit.ClassRule;
import org.junit.Test;
import org.l2cbeam.core.Parity;
import org.l2cbeam.core.TestResources;
import org.l2cbeam.core.io.WeightMap;
import org.l2cbeam.core.model.DiT;
import org.l2cbeam.core.model.ReferenceModel;
import org.l2cbeam.core.model.UViT;
import org.l2cbeam.core.router.CacheSchedule;

/**
 * One sampling run for both families: U-ViT's run reproduces the original's DPM-Solver++(2S)
 * samples, plain and with the router's schedule; DiT's run is exactly its sampler's; bad settings
 * are refused naming the option.
 */
public class SamplingRunTest {
  @ClassRule public static final ReferenceModel<UViT> UVIT = ReferenceModel.uvit();
  @ClassRule public static final ReferenceModel<DiT> DIT = ReferenceModel.dit();

  private static final WeightMap UVIT_VECTORS =
      WeightMap.open(TestResources.vector("uvit_sampling.safetensors"));
  private static final WeightMap DIT_VECTORS =
      WeightMap.open(TestResources.vector("dit_sampling.safetensors"));

  private static SamplingRun.Result uvitRun(CacheSchedule schedule) {
    SamplingRun run =
        SamplingRun.of(UVIT.model())
            .steps(10)
            .cfgScale(1.4)
            .schedule(schedule)
            .trajectory(true)
            .build();
    assertEquals(SamplerKind.DPM_SOLVER, run.sampler());
    long[] y = UVIT_VECTORS.get("in.y").toLongArray();
    try (NDManager m = UVIT.manager().newSubManager()) {
      NDArray z = UVIT_VECTORS.get("in.z").toNDArray(m);
      return run.sample(z, new SeededNoise(new long[y.length]), y);
    }
  }

  @Test
  public void uvitPlainAndCachedRunsMatchTheOriginal() {
    for (String prefix : new String[] {"plain", "l2c"}) {
      CacheSchedule schedule =
          prefix.equals("l2c") ? UViTCacheSequenceTest.scheduleFromRouterVectors(5) : null;
      SamplingRun.Result r = uvitRun(schedule);
      Parity.assertClose(
          prefix + ".final",
          r.samples(),
          UVIT_VECTORS.get(prefix + ".final").toFloatArray(),
          Parity.TRAJECTORY);
      Parity.assertStepsClose(
          prefix + ".step_x",
          r.trajectory(),
          UVIT_VECTORS.get(prefix + ".step_x").toFloatArray(),
          5,
          Parity.TRAJECTORY);
      assertNull("4-channel latents without a VAE are not pixels", r.pixels());
      assertTrue(r.samplingNanos() > 0);
      assertEquals(prefix, schedule == null, r.computedFraction() == 1.0);
    }
  }

  @Test
  public void ditRunIsItsSamplerBitForBit() {
    long[] labels = Arrays.copyOf(DIT_VECTORS.get("in.y").toLongArray(), 2);
    CacheSchedule schedule = DiTSamplingParityTest.routerSchedule();
    float[] direct;
    try (NDManager m = DIT.manager().newSubManager()) {
      NDArray z = DIT_VECTORS.get("in.z").toNDArray(m).get("0:2");
      direct =
          new DiTSampler(
                  DIT.model(),
                  new DdimSampler(NoiseSchedule.dit(10)),
                  new Guidance(1.5, Guidance.Channels.FIRST_THREE),
                  schedule)
              .sample(z, labels, StepListener.NONE)
              .toFloatArray();
    }
    SamplingRun run =
        SamplingRun.of(DIT.model()).steps(10).cfgScale(1.5).schedule(schedule).build();
    assertEquals(
        "the original's rule: 3 guided channels",
        Guidance.Channels.FIRST_THREE,
        run.guidance().channels());
    SamplingRun.Result r;
    try (NDManager m = DIT.manager().newSubManager()) {
      r =
          run.sample(
              DIT_VECTORS.get("in.z").toNDArray(m).get("0:2"),
              new SeededNoise(new long[2]),
              labels);
    }
    assertArrayEquals(direct, r.samples(), 0f);
    Parity.assertClose(
        "l2c_ddim.final[cond]",
        r.samples(),
        Arrays.copyOf(DIT_VECTORS.get("l2c_ddim.final").toFloatArray(), r.samples().length),
        Parity.TRAJECTORY);
  }

  @Test
  public void badSettingsAreRefusedNamingTheOption() {
    assertFails(() -> SamplingRun.of(UVIT.model()).steps(9).build(), "--steps 9", "even");
    assertFails(
        () -> SamplingRun.of(UVIT.model()).sampler(SamplerKind.DDIM).steps(10).build(),
        "--sampler ddim",
        "dpm-solver");
    assertFails(
        () -> SamplingRun.of(DIT.model()).sampler(SamplerKind.DPM_SOLVER).steps(10).build(),
        "--sampler dpm-solver",
        "ddim or ddpm");
    assertFails(
        () ->
            SamplingRun.of(UVIT.model())
                .steps(10)
                .guidedChannels(Guidance.Channels.FIRST_THREE)
                .build(),
        "--guided-channels 3 is a DiT option");
    SamplingRun.of(UVIT.model())
        .steps(10)
        .guidedChannels(Guidance.Channels.ALL)
        .build(); // what U-ViT does anyway
    assertFails(
        () ->
            SamplingRun.of(UVIT.model())
                .steps(10)
                .schedule(CacheSchedule.allCompute(10, 10))
                .build(),
        "--router",
        "needs 5 rows");
    assertFails(() -> SamplingRun.of(DIT.model()).steps(0).build(), "--steps must be in 1..1000");
    assertFails(
        () ->
            SamplingRun.of(UVIT.model())
                .steps(10)
                .optionNames(SamplingRun.OptionNames.transform("CachedSample"))
                .sampler(SamplerKind.DDPM)
                .build(),
        "CachedSample.withSampler ddpm");
    SeededNoise noise = SeededNoise.consecutive(0, 1);
    assertFails(
        () -> SamplingRun.of(UVIT.model()).steps(2).build().sample(noise, new long[] {10}),
        "label 10",
        "10 is the null label");
  }

  private static void assertFails(org.junit.function.ThrowingRunnable r, String... parts) {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, r);
    for (String p : parts) assertThat(e.getMessage(), containsString(p));
  }
}
