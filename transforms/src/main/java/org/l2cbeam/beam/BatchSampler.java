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
 * depend on its batch), {@link DiTSampler} with an optional static cache schedule, then DiT's uint8 quantisation ({@link
 * SampleQuantization#DIT}) for pixel-space models, or the float latent for latent models. No
 * Beam here: {@link CachedSample}'s DoFn calls it, and so does the benchmark's bare loop.
 */
public final class BatchSampler {
  /** Default requests per model call; fixed per sampler so that outputs are independent of batching. */
  public static final int FORWARD_BATCH = 8;

  private final DiT dit;
  private final SamplingSettings settings;
  private final @Nullable CacheSchedule schedule;
  private final String scheduleId;
  private final int forwardBatch;
  private final boolean latentOutput;

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
    this(dit, settings, schedule, scheduleId, FORWARD_BATCH);
  }

  /** With {@code forwardBatch} requests per model call (the images depend on it: see {@link #sample}). */
  public BatchSampler(
      DiT dit, SamplingSettings settings, @Nullable CacheSchedule schedule, String scheduleId, int forwardBatch) {
    if (forwardBatch <= 0) throw new IllegalArgumentException("forward batch must be positive, got " + forwardBatch);
    this.dit = dit;
    this.settings = settings;
    this.schedule = schedule;
    this.scheduleId = scheduleId;
    this.forwardBatch = forwardBatch;
    this.latentOutput = !isPixelSpace(dit.config().inChannels);
  }

  /** The schedule id its samples carry, e.g. {@code ddim20} or {@code ddim20-l2c-theta0.1-3f9a02c1}. */
  public String scheduleId() {
    return scheduleId;
  }

  /**
   * Whether a model's samples are images (1 or 3 channels, quantised to uint8) rather than latents (float, for a VAE
   * downstream), e.g. the 4-channel latents of the official DiT and U-ViT models.
   */
  public static boolean isPixelSpace(int channels) {
    return channels == 1 || channels == 3;
  }

  /**
   * Samples {@code requests}, in order. The model always runs on chunks of exactly the forward batch of requests
   * (a short last chunk is padded with copies of its last request, whose outputs are dropped): libtorch's CPU GEMMs
   * pick different kernels for different row counts, which changes float rounding (measured: batches of 1 and 3
   * flipped single bytes against batches of 2, 4, 5, 8, 11 and 16). With one fixed shape, a request's bytes depend only
   * on the request, never on how a runner or {@code withBatchSize} grouped it.
   */
  public Result sample(List<SampleRequest> requests) {
    Torch.inferenceMode(); // grad mode is per thread; Beam calls us on its own worker threads
    long start = System.nanoTime();
    List<GeneratedSample> out = new ArrayList<>(requests.size());
    long computed = 0;
    long total = 0;
    for (int from = 0; from < requests.size(); from += forwardBatch) {
      List<SampleRequest> chunk = new ArrayList<>(requests.subList(from, Math.min(requests.size(), from + forwardBatch)));
      int real = chunk.size();
      while (chunk.size() < forwardBatch) chunk.add(chunk.get(real - 1));
      double fraction = sampleChunk(chunk, real, out);
      long perImageUnits = (long) settings.steps() * dit.units();
      computed += Math.round(fraction * perImageUnits) * real;
      total += perImageUnits * real;
    }
    long nanos = System.nanoTime() - start;
    List<GeneratedSample> timed = new ArrayList<>(out.size());
    long micros = nanos / 1000 / Math.max(1, out.size());
    for (GeneratedSample s : out) {
      timed.add(
          s.isImage()
              ? GeneratedSample.ofImage(s.request(), s.channels(), s.height(), s.width(), s.image(), scheduleId, micros)
              : GeneratedSample.ofLatent(s.request(), s.channels(), s.height(), s.width(), s.latent(), scheduleId,
                  micros));
    }
    return new Result(timed, nanos, computed, total - computed);
  }

  /** Samples one fixed-size chunk; appends its first {@code real} images to {@code out}; returns computedFraction. */
  private double sampleChunk(List<SampleRequest> chunk, int real, List<GeneratedSample> out) {
    DiTConfig cfg = dit.config();
    int n = chunk.size();
    long[] seeds = new long[n];
    long[] labels = new long[n];
    for (int i = 0; i < n; i++) {
      seeds[i] = chunk.get(i).seed();
      labels[i] = chunk.get(i).label();
    }
    SeededNoise noise = new SeededNoise(seeds);
    DiTSampler sampler =
        new DiTSampler(dit, settings.newSampler(noise), settings.guidance(cfg.inChannels), schedule);
    float[] values;
    try (NDManager m = Torch.newManager(dit.device())) {
      NDArray z = noise.initial(m, cfg.inChannels, cfg.inputSize, cfg.inputSize);
      values = sampler.sample(z, labels, StepListener.NONE).toFloatArray();
    }
    int per = cfg.inChannels * cfg.inputSize * cfg.inputSize;
    if (latentOutput) {
      for (int i = 0; i < real; i++) {
        float[] chw = java.util.Arrays.copyOfRange(values, i * per, (i + 1) * per);
        out.add(GeneratedSample.ofLatent(chunk.get(i), cfg.inChannels, cfg.inputSize, cfg.inputSize, chw, "", 0));
      }
      return sampler.computedFraction();
    }
    byte[] nhwc =
        SampleQuantization.DIT.toNhwc(values, new long[] {n, cfg.inChannels, cfg.inputSize, cfg.inputSize});
    for (int i = 0; i < real; i++) {
      byte[] hwc = java.util.Arrays.copyOfRange(nhwc, i * per, (i + 1) * per);
      out.add(GeneratedSample.ofImage(chunk.get(i), cfg.inChannels, cfg.inputSize, cfg.inputSize, hwc, "", 0));
    }
    return sampler.computedFraction();
  }
}
