package org.l2cbeam.beam;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.ArrayList;
import java.util.List;
import org.checkerframework.checker.nullness.qual.Nullable;
import org.l2cbeam.core.diffusion.DiTSampler;
import org.l2cbeam.core.diffusion.SeededNoise;
import org.l2cbeam.core.diffusion.StepListener;
import org.l2cbeam.core.image.SampleQuantization;
import org.l2cbeam.core.model.DiT;
import org.l2cbeam.core.model.DiTConfig;
import org.l2cbeam.core.router.CacheSchedule;
import org.l2cbeam.core.runtime.Torch;

/**
 * Samples one batch of requests with a DiT: per-request seeded noise ({@link SeededNoise}, so a sample does not
 * depend on its batch), {@link DiTSampler} with an optional static cache schedule, then DiT's uint8 quantisation ({@link SampleQuantization#DIT}). No
 * Beam here: {@link CachedSample}'s DoFn calls it, and so does the benchmark's bare loop.
 */
public final class BatchSampler {
  private final DiT dit;
  private final SamplingSettings settings;
  private final @Nullable CacheSchedule schedule;
  private final String scheduleId;

  /** The outputs of one batch and what it cost. */
  public static final class Result {
    public final List<GeneratedSample> samples;
    public final long nanos;
    /** Cache-unit evaluations computed and reused, per image (CFG's doubled batch counts once). */
    public final long unitsComputed;
    public final long unitsReused;

    Result(List<GeneratedSample> samples, long nanos, long unitsComputed, long unitsReused) {
      this.samples = samples;
      this.nanos = nanos;
      this.unitsComputed = unitsComputed;
      this.unitsReused = unitsReused;
    }
  }

  public BatchSampler(DiT dit, SamplingSettings settings, @Nullable CacheSchedule schedule, String scheduleId) {
    this.dit = dit;
    this.settings = settings;
    this.schedule = schedule;
    this.scheduleId = scheduleId;
  }

  public Result sample(List<SampleRequest> requests) {
    Torch.inferenceMode(); // grad mode is per thread; Beam calls us on its own worker threads
    long start = System.nanoTime();
    DiTConfig cfg = dit.config();
    int n = requests.size();
    long[] seeds = new long[n];
    long[] labels = new long[n];
    for (int i = 0; i < n; i++) {
      seeds[i] = requests.get(i).seed();
      labels[i] = requests.get(i).label();
    }
    SeededNoise noise = new SeededNoise(seeds);
    DiTSampler sampler =
        new DiTSampler(dit, settings.newSampler(noise), settings.guidance(cfg.inChannels), schedule);
    float[] values;
    try (NDManager m = Torch.newManager()) {
      NDArray z = noise.initial(m, cfg.inChannels, cfg.inputSize, cfg.inputSize);
      values = sampler.sample(z, labels, StepListener.NONE).toFloatArray();
    }
    long nanos = System.nanoTime() - start;
    long perImageUnits = (long) settings.steps() * dit.units();
    long computed = Math.round(sampler.computedFraction() * perImageUnits);
    List<GeneratedSample> out = new ArrayList<>(n);
    int per = cfg.inChannels * cfg.inputSize * cfg.inputSize;
    byte[] nhwc =
        SampleQuantization.DIT.toNhwc(values, new long[] {n, cfg.inChannels, cfg.inputSize, cfg.inputSize});
    for (int i = 0; i < n; i++) {
      byte[] hwc = java.util.Arrays.copyOfRange(nhwc, i * per, (i + 1) * per);
      out.add(GeneratedSample.ofImage(
          requests.get(i), cfg.inChannels, cfg.inputSize, cfg.inputSize, hwc, scheduleId, nanos / 1000 / n));
    }
    return new Result(out, nanos, computed * n, (perImageUnits - computed) * n);
  }
}
