package org.l2cbeam.beam;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.checkerframework.checker.nullness.qual.Nullable;
import org.l2cbeam.core.diffusion.SamplingRun;
import org.l2cbeam.core.diffusion.SeededNoise;
import org.l2cbeam.core.model.DiffusionTransformer;
import org.l2cbeam.core.router.CacheSchedule;
import org.l2cbeam.core.runtime.Torch;

/**
 * Samples one batch of requests with a DiT or a U-ViT: per-request seeded noise ({@link
 * SeededNoise}, so a sample does not depend on its batch), one {@link SamplingRun} per fixed-size
 * chunk of requests, then the family's uint8 rounding for pixel-space models, or the float latent
 * for latent models. No Beam here: {@link CachedSample}'s DoFn calls it, and so do the benchmarks'
 * bare loops and the integration tests' in-process reference.
 */
public final class BatchSampler {
  /**
   * Default requests per model call; fixed per sampler so that outputs are independent of batching.
   */
  public static final int FORWARD_BATCH = 8;

  private final DiffusionTransformer model;
  private final SamplingRun run;
  private final int steps;
  private final String scheduleId;
  private final int forwardBatch;

  /** The outputs of one batch and what it cost. */
  public static final class Result {
    public final List<GeneratedSample> samples;
    public final long nanos;

    /**
     * Cache-unit evaluations computed and reused, per image (CFG's doubled batch or second call
     * counts once).
     */
    public final long unitsComputed;

    public final long unitsReused;

    Result(List<GeneratedSample> samples, long nanos, long unitsComputed, long unitsReused) {
      this.samples = samples;
      this.nanos = nanos;
      this.unitsComputed = unitsComputed;
      this.unitsReused = unitsReused;
    }
  }

  public BatchSampler(
      DiffusionTransformer model,
      SamplingSettings settings,
      @Nullable CacheSchedule schedule,
      String scheduleId) {
    this(model, settings, schedule, scheduleId, FORWARD_BATCH);
  }

  /**
   * With {@code forwardBatch} requests per model call (the images depend on it: see {@link
   * #sample}). Settings that do not suit the model fail here, naming {@code CachedSample}'s setter.
   */
  public BatchSampler(
      DiffusionTransformer model,
      SamplingSettings settings,
      @Nullable CacheSchedule schedule,
      String scheduleId,
      int forwardBatch) {
    if (forwardBatch <= 0)
      throw new IllegalArgumentException("forward batch must be positive, got " + forwardBatch);
    this.model = model;
    this.run =
        SamplingRun.of(model)
            .sampler(settings.sampler())
            .steps(settings.steps())
            .cfgScale(settings.cfgScale())
            .guidedChannels(settings.guidedChannels())
            .schedule(schedule)
            .optionNames(SamplingRun.OptionNames.transform("CachedSample"))
            .build();
    this.steps = settings.steps();
    this.scheduleId = scheduleId;
    this.forwardBatch = forwardBatch;
  }

  /**
   * The schedule id its samples carry, e.g. {@code ddim20} or {@code ddim20-l2c-theta0.1-3f9a02c1}.
   */
  public String scheduleId() {
    return scheduleId;
  }

  /**
   * Whether a model's samples are images (1 or 3 channels, quantised to uint8) rather than latents
   * (float, for a VAE downstream), e.g. the 4-channel latents of the official DiT and U-ViT models.
   */
  public static boolean isPixelSpace(int channels) {
    return SamplingRun.isPixelSpace(channels);
  }

  /**
   * Samples {@code requests}, in order. The model always runs on chunks of exactly the forward
   * batch of requests (a short last chunk is padded with copies of its last request, whose outputs
   * are dropped): libtorch's CPU GEMMs pick different kernels for different row counts, which
   * changes float rounding (measured: batches of 1 and 3 flipped single bytes against batches of 2,
   * 4, 5, 8, 11 and 16). With one fixed shape, a request's bytes depend only on the request, never
   * on how a runner or {@code withBatchSize} grouped it.
   */
  public Result sample(List<SampleRequest> requests) {
    Torch.inferenceMode(); // grad mode is per thread; Beam calls us on its own worker threads
    long start = System.nanoTime();
    List<GeneratedSample> out = new ArrayList<>(requests.size());
    long computed = 0;
    long total = 0;
    for (int from = 0; from < requests.size(); from += forwardBatch) {
      List<SampleRequest> chunk =
          new ArrayList<>(requests.subList(from, Math.min(requests.size(), from + forwardBatch)));
      int real = chunk.size();
      while (chunk.size() < forwardBatch) chunk.add(chunk.get(real - 1));
      double fraction = sampleChunk(chunk, real, out);
      // Each image evaluates every unit once per network evaluation: `steps` of them for DDIM and
      // for DPM-Solver's NFE.
      long perImageUnits = (long) steps * model.units();
      computed += Math.round(fraction * perImageUnits) * real;
      total += perImageUnits * real;
    }
    long nanos = System.nanoTime() - start;
    List<GeneratedSample> timed = new ArrayList<>(out.size());
    long micros = nanos / 1000 / Math.max(1, out.size());
    for (GeneratedSample s : out) {
      timed.add(
          s.isImage()
              ? GeneratedSample.ofImage(
                  s.request(), s.channels(), s.height(), s.width(), s.image(), scheduleId, micros)
              : GeneratedSample.ofLatent(
                  s.request(),
                  s.channels(),
                  s.height(),
                  s.width(),
                  s.latent(),
                  scheduleId,
                  micros));
    }
    return new Result(timed, nanos, computed, total - computed);
  }

  /**
   * Samples one fixed-size chunk; appends its first {@code real} images to {@code out}; returns
   * computedFraction.
   */
  private double sampleChunk(List<SampleRequest> chunk, int real, List<GeneratedSample> out) {
    int n = chunk.size();
    long[] seeds = new long[n];
    long[] labels = new long[n];
    for (int i = 0; i < n; i++) {
      seeds[i] = chunk.get(i).seed();
      labels[i] = chunk.get(i).label();
    }
    SamplingRun.Result r = run.sample(new SeededNoise(seeds), labels);
    int c = model.inChannels();
    int size = model.inputSize();
    int per = c * size * size;
    byte[] pixels = r.pixels();
    for (int i = 0; i < real; i++) {
      out.add(
          pixels == null
              ? GeneratedSample.ofLatent(
                  chunk.get(i),
                  c,
                  size,
                  size,
                  Arrays.copyOfRange(r.samples(), i * per, (i + 1) * per),
                  "",
                  0)
              : GeneratedSample.ofImage(
                  chunk.get(i),
                  c,
                  size,
                  size,
                  Arrays.copyOfRange(pixels, i * per, (i + 1) * per),
                  "",
                  0));
    }
    return r.computedFraction();
  }
}
