package org.l2cbeam.core.diffusion;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import org.l2cbeam.core.image.SampleQuantization;
import org.l2cbeam.core.model.DiT;
import org.l2cbeam.core.model.DiffusionTransformer;
import org.l2cbeam.core.model.UViT;
import org.l2cbeam.core.router.CacheSchedule;
import org.l2cbeam.core.router.ModelFamily;
import org.l2cbeam.core.router.StepPairing;
import org.l2cbeam.core.runtime.Torch;
import org.l2cbeam.core.vae.AutoencoderKL;

/**
 * One sampling run of either model family, from noise to bytes: initial noise, the family's sampler
 * with an optional static cache schedule, an optional VAE decode, and the family's rounding to
 * uint8. The CLI's {@code l2c sample}, the Beam transform {@code CachedSample} and the benchmarks
 * all sample through it, so a request gives the same bytes whichever of them runs it (for the same
 * batch shape).
 *
 * <pre>{@code
 * SamplingRun run = SamplingRun.of(model).steps(20).cfgScale(1.5).schedule(router.schedule(0.1)).build();
 * SamplingRun.Result r = run.sample(SeededNoise.consecutive(seed, labels.length), labels);
 * }</pre>
 *
 * <p>What differs by family, all from the original code:
 *
 * <ul>
 *   <li>DiT samples with DDIM (or DDPM) over its respaced linear schedule; classifier-free guidance
 *       is one forward on a doubled batch (one layer cache), guiding the first three channels of a
 *       model with three or more (the original's quirk) unless told otherwise. A scale of 1 or less
 *       means no guidance.
 *   <li>U-ViT samples with DPM-Solver++(2S) over its discrete schedule; guidance is two forwards
 *       per evaluation (conditional, then the null label), each with its own layer cache, combined
 *       on every channel. A scale of exactly 1 means no guidance.
 *   <li>Which evaluations record, reuse or compute comes from the family's {@link StepPairing}.
 * </ul>
 *
 * <p>Timings: {@link Result#samplingNanos()} covers the sampler alone; the VAE decode is timed
 * apart, as the original reports its speedups for the diffusion model.
 */
public final class SamplingRun {
  /**
   * Latents decoded per VAE call: bounds the decoder's activation memory, independent of the run's
   * size.
   */
  public static final int DECODE_BATCH = 4;

  /**
   * The option names errors use: the CLI's flags by default, a transform's setters for the Beam
   * transforms.
   */
  public static final class OptionNames {
    final String sampler;
    final String steps;
    final String guidedChannels;
    final String router;
    final String vae;

    private OptionNames(
        String sampler, String steps, String guidedChannels, String router, String vae) {
      this.sampler = sampler;
      this.steps = steps;
      this.guidedChannels = guidedChannels;
      this.router = router;
      this.vae = vae;
    }

    /**
     * {@code --sampler}, {@code --steps}, {@code --guided-channels}, {@code --router}, {@code
     * --vae}.
     */
    public static OptionNames cli() {
      return new OptionNames("--sampler", "--steps", "--guided-channels", "--router", "--vae");
    }

    /** {@code T.withSampler}, {@code T.withSteps}, ... for transform {@code T}. */
    public static OptionNames transform(String transform) {
      return new OptionNames(
          transform + ".withSampler",
          transform + ".withSteps",
          transform + ".withGuidedChannels",
          transform + ".withRouter",
          transform + ".withVae");
    }
  }

  /** What a run made and what it cost. Arrays are row-major; {@code n} is the number of labels. */
  public static final class Result {
    private final float[] samples;
    private final long[] sampleShape;
    private final float[] images;
    private final long[] imageShape;
    private final byte[] pixels;
    private final float[] trajectory;
    private final double computedFraction;
    private final long samplingNanos;
    private final long decodeNanos;

    Result(
        float[] samples,
        long[] sampleShape,
        float[] images,
        long[] imageShape,
        byte[] pixels,
        float[] trajectory,
        double computedFraction,
        long samplingNanos,
        long decodeNanos) {
      this.samples = samples;
      this.sampleShape = sampleShape;
      this.images = images;
      this.imageShape = imageShape;
      this.pixels = pixels;
      this.trajectory = trajectory;
      this.computedFraction = computedFraction;
      this.samplingNanos = samplingNanos;
      this.decodeNanos = decodeNanos;
    }

    /**
     * The sampler's output {@code [n, C, H, W]}: latents for a latent model, images in [-1, 1]
     * otherwise.
     */
    public float[] samples() {
      return samples;
    }

    public long[] sampleShape() {
      return sampleShape.clone();
    }

    /** The decoded images {@code [n, 3, H·f, W·f]} as floats, or null without a VAE. */
    public float[] images() {
      return images;
    }

    public long[] imageShape() {
      return imageShape == null ? null : imageShape.clone();
    }

    /**
     * uint8 pixels {@code [n, H, W, C]} by the family's rounding: of the decoded images with a VAE,
     * of the samples of a pixel-space model (1 or 3 channels); null for a latent model's samples
     * without a VAE.
     */
    public byte[] pixels() {
      return pixels;
    }

    /**
     * The samples after each sampler step, {@code [steps, n, C, H, W]}, or null unless asked for.
     */
    public float[] trajectory() {
      return trajectory;
    }

    /** Fraction of cache-unit evaluations computed (1.0 for the plain sampler). */
    public double computedFraction() {
      return computedFraction;
    }

    public long samplingNanos() {
      return samplingNanos;
    }

    /** Nanoseconds of the VAE decode (0 without a VAE). */
    public long decodeNanos() {
      return decodeNanos;
    }
  }

  /** Collects a run's settings; {@link #build()} checks them against the model. */
  public static final class Builder {
    private final DiffusionTransformer model;
    private SamplerKind sampler;
    private int steps = 20;
    private double cfgScale = 1.0;
    private Guidance.Channels guidedChannels;
    private CacheSchedule schedule;
    private AutoencoderKL vae;
    private boolean trajectory;
    private OptionNames names = OptionNames.cli();

    private Builder(DiffusionTransformer model) {
      this.model = model;
    }

    /**
     * The sampler; null (the default) is the family's: DDIM for DiT, DPM-Solver++(2S) for U-ViT.
     */
    public Builder sampler(SamplerKind sampler) {
      this.sampler = sampler;
      return this;
    }

    /** DDIM/DDPM: sampling steps; DPM-Solver: network evaluations (NFE, even). Default 20. */
    public Builder steps(int steps) {
      this.steps = steps;
      return this;
    }

    /** The guidance weight w of {@code eps = u + w·(c − u)}; 1 (the default) is no guidance. */
    public Builder cfgScale(double cfgScale) {
      this.cfgScale = cfgScale;
      return this;
    }

    /**
     * Which channels DiT's guidance covers; null (the default) is the original's rule. U-ViT always
     * guides every channel, so it takes {@code ALL} (or null) only.
     */
    public Builder guidedChannels(Guidance.Channels channels) {
      this.guidedChannels = channels;
      return this;
    }

    /**
     * The static L2C schedule in the family's row layout, or null (the default) for the plain
     * sampler.
     */
    public Builder schedule(CacheSchedule schedule) {
      this.schedule = schedule;
      return this;
    }

    /**
     * Decodes the samples with this VAE (not closed by the run), or null (the default) for none.
     */
    public Builder vae(AutoencoderKL vae) {
      this.vae = vae;
      return this;
    }

    /** Also keep the samples after every step. */
    public Builder trajectory(boolean trajectory) {
      this.trajectory = trajectory;
      return this;
    }

    /** The option names errors use (default: the CLI's). */
    public Builder optionNames(OptionNames names) {
      this.names = names;
      return this;
    }

    /** Checks the settings against the model, naming the option at fault. */
    public SamplingRun build() {
      ModelFamily family = model.family();
      SamplerKind kind = sampler != null ? sampler : defaultSampler(family);
      kind.checkRuns(family, names.sampler);
      kind.checkSteps(steps, names.steps);
      if (!Double.isFinite(cfgScale)) {
        throw new IllegalArgumentException("the guidance scale must be finite, got " + cfgScale);
      }
      if (guidedChannels == Guidance.Channels.FIRST_THREE
          && family.guidanceLayout() == ModelFamily.GuidanceLayout.SEPARATE_CALLS) {
        throw new IllegalArgumentException(
            names.guidedChannels
                + " 3 is a DiT option: U-ViT's guidance always covers every latent channel");
      }
      if (schedule != null) {
        StepPairing pairing = family.pairing();
        int rows = pairing.scheduleRows(steps);
        if (schedule.steps() != rows || schedule.units() != model.units()) {
          throw new IllegalArgumentException(
              names.router
                  + ": the cache schedule has "
                  + schedule.steps()
                  + " rows x "
                  + schedule.units()
                  + " units, but "
                  + names.steps
                  + " "
                  + steps
                  + " needs "
                  + rows
                  + " rows and the model has "
                  + model.units()
                  + " cache units");
        }
      }
      if (vae != null && vae.config().embedDim() != model.inChannels()) {
        throw new IllegalArgumentException(
            names.vae
                + " decodes "
                + vae.config().embedDim()
                + "-channel latents but the "
                + family.id()
                + " model samples "
                + model.inChannels()
                + " channels");
      }
      Guidance guidance = guidance(family, kind);
      return new SamplingRun(this, kind, guidance);
    }

    private Guidance guidance(ModelFamily family, SamplerKind kind) {
      if (family == ModelFamily.UVIT) {
        return cfgScale == 1.0 ? null : new Guidance(cfgScale, Guidance.Channels.ALL);
      }
      if (cfgScale <= 1.0) return null;
      Guidance g =
          guidedChannels == null
              ? Guidance.defaultFor(cfgScale, model.inChannels())
              : new Guidance(cfgScale, guidedChannels);
      g.guidedChannels(
          model.inChannels()); // 3-channel guidance of a smaller model fails here, not mid-run
      return g;
    }
  }

  private final DiffusionTransformer model;
  private final SamplerKind sampler;
  private final int steps;
  private final double cfgScale;
  private final Guidance guidance;
  private final CacheSchedule schedule;
  private final AutoencoderKL vae;
  private final boolean trajectory;

  private SamplingRun(Builder b, SamplerKind sampler, Guidance guidance) {
    this.model = b.model;
    this.sampler = sampler;
    this.steps = b.steps;
    this.cfgScale = b.cfgScale;
    this.guidance = guidance;
    this.schedule = b.schedule;
    this.vae = b.vae;
    this.trajectory = b.trajectory;
  }

  /** A run of {@code model}; set what differs from the defaults, then {@link Builder#build()}. */
  public static Builder of(DiffusionTransformer model) {
    return new Builder(model);
  }

  /** The sampler a family's routers are trained for: DDIM for DiT, DPM-Solver++(2S) for U-ViT. */
  public static SamplerKind defaultSampler(ModelFamily family) {
    return family == ModelFamily.DIT ? SamplerKind.DDIM : SamplerKind.DPM_SOLVER;
  }

  /** The model the run samples from. */
  public DiffusionTransformer model() {
    return model;
  }

  public SamplerKind sampler() {
    return sampler;
  }

  /** The static cache schedule, or null for the plain sampler. */
  public CacheSchedule schedule() {
    return schedule;
  }

  public int steps() {
    return steps;
  }

  /** The guidance actually applied, or null for none. */
  public Guidance guidance() {
    return guidance;
  }

  /** Sampler steps (DDIM/DDPM steps, DPM-Solver outer steps): the trajectory's length. */
  public int samplerSteps() {
    return sampler == SamplerKind.DPM_SOLVER ? steps / 2 : steps;
  }

  /**
   * Samples {@code labels} from each one's seeded noise stream ({@code noise} has one stream per
   * label).
   */
  public Result sample(SeededNoise noise, long[] labels) {
    try (NDManager m = Torch.newManager(model.device())) {
      NDArray z = noise.initial(m, model.inChannels(), model.inputSize(), model.inputSize());
      return sample(z, noise, labels);
    }
  }

  /**
   * Samples {@code labels} from the given initial latents {@code z [n, C, H, W]}; {@code noise}
   * supplies DDPM's step noise (one stream per label; unused by the deterministic samplers).
   */
  public Result sample(NDArray z, SeededNoise noise, long[] labels) {
    int n = labels.length;
    Shape expected = new Shape(n, model.inChannels(), model.inputSize(), model.inputSize());
    if (!z.getShape().equals(expected)) {
      throw new IllegalArgumentException(
          "initial noise z has shape "
              + z.getShape()
              + " but "
              + n
              + " labels and the model need "
              + expected);
    }
    model.checkLabels(labels);
    int per = Math.toIntExact(expected.size());
    float[] traj = trajectory ? new float[samplerSteps() * per] : null;
    long start = System.nanoTime();
    float[] samples;
    double fraction;
    if (model.family() == ModelFamily.DIT) {
      DiTSampler s = new DiTSampler((DiT) model, ditSampler(noise), guidance, schedule);
      int[] row = {0};
      NDArray out =
          s.sample(
              z,
              labels,
              (k, x, x0, eps) -> {
                if (traj != null)
                  System.arraycopy(
                      x.toFloatArray(), 0, traj, row[0] * per, per); // conditional rows first
                row[0]++;
              });
      samples = out.toFloatArray();
      out.close();
      fraction = s.computedFraction();
    } else {
      UViTSampler s =
          new UViTSampler(
              (UViT) model,
              new DpmSolver2S(DiscreteVpSchedule.stableDiffusion(), steps),
              cfgScale,
              schedule);
      NDArray out =
          s.sample(
              z,
              labels,
              (k, x) -> {
                if (traj != null) System.arraycopy(x.toFloatArray(), 0, traj, k * per, per);
              });
      samples = out.toFloatArray();
      out.close();
      fraction = s.computedFraction();
    }
    long samplingNanos = System.nanoTime() - start;
    long[] shape = expected.getShape();
    SampleQuantization rounding = model.family().quantization();
    if (vae == null) {
      byte[] pixels = isPixelSpace(model.inChannels()) ? rounding.toNhwc(samples, shape) : null;
      return new Result(samples, shape, null, null, pixels, traj, fraction, samplingNanos, 0);
    }
    long decodeStart = System.nanoTime();
    float[] images;
    long[] imageShape;
    try (NDManager m = z.getManager().newSubManager()) {
      NDArray decoded = decode(vae, m.create(samples, expected));
      images = decoded.toFloatArray();
      imageShape = decoded.getShape().getShape();
    }
    byte[] pixels = rounding.toNhwc(images, imageShape);
    return new Result(
        samples,
        shape,
        images,
        imageShape,
        pixels,
        traj,
        fraction,
        samplingNanos,
        System.nanoTime() - decodeStart);
  }

  /**
   * Decodes latents {@code [n, C, h, w]} to float images with {@code vae}, {@link #DECODE_BATCH}
   * latents per call so that one call's activations bound the memory; {@link AutoencoderKL#decode}
   * decodes one latent at a time, so the chunking does not change the values. The result lives in
   * {@code latents}' manager.
   */
  public static NDArray decode(AutoencoderKL vae, NDArray latents) {
    long n = latents.getShape().get(0);
    NDManager owner = latents.getManager();
    NDArray all = null;
    for (long from = 0; from < n; from += DECODE_BATCH) {
      long to = Math.min(n, from + DECODE_BATCH);
      try (NDManager scope = owner.newSubManager()) {
        NDArray chunk = latents.get(new NDIndex(from + ":" + to));
        chunk.attach(scope);
        NDArray images = vae.decode(chunk);
        NDArray joined = all == null ? images : all.concat(images, 0);
        joined.attach(owner);
        if (all != null) all.close();
        all = joined;
      }
    }
    return all;
  }

  /**
   * Whether a model's samples are images (1 or 3 channels, rounded to uint8) rather than latents
   * for a VAE, e.g. the 4-channel latents of the official DiT and U-ViT models.
   */
  public static boolean isPixelSpace(int channels) {
    return channels == 1 || channels == 3;
  }

  private Sampler ditSampler(SeededNoise noise) {
    NoiseSchedule s = NoiseSchedule.dit(steps);
    return sampler == SamplerKind.DDPM ? new DdpmSampler(s, noise) : new DdimSampler(s);
  }

  @Override
  public String toString() {
    return model.family().id()
        + " "
        + sampler.cliName()
        + steps
        + (guidance == null ? "" : ", " + guidance)
        + (schedule == null ? "" : ", cache schedule")
        + (vae == null ? "" : ", VAE decode");
  }
}
