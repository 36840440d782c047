package org.l2cbeam.beam;

import com.google.auto.value.AutoValue;
import java.io.Serializable;
import org.checkerframework.checker.nullness.qual.Nullable;
import org.l2cbeam.core.diffusion.Guidance;
import org.l2cbeam.core.diffusion.SamplerKind;
import org.l2cbeam.core.diffusion.SamplingRun;
import org.l2cbeam.core.router.ModelFamily;

/**
 * How {@link CachedSample} samples: the sampler, its step count and classifier-free guidance. The
 * sampler may be left to the model's family (it is only known once the model is read), as may DiT's
 * guided channels. Serializable.
 */
@AutoValue
public abstract class SamplingSettings implements Serializable {
  private static final long serialVersionUID = 1L;

  /** The sampler, or null for the family's own (DDIM for DiT, DPM-Solver++(2S) for U-ViT). */
  public abstract @Nullable SamplerKind sampler();

  /** DDIM/DDPM steps, or DPM-Solver's network evaluations (NFE). */
  public abstract int steps();

  /**
   * Guidance scale; 1 means no guidance (one forward per step instead of a doubled batch or a
   * second call).
   */
  public abstract double cfgScale();

  /**
   * Which channels DiT's guidance applies to; null means the original's rule ({@link
   * Guidance#defaultFor}).
   */
  public abstract Guidance.@Nullable Channels guidedChannels();

  public static SamplingSettings of(
      @Nullable SamplerKind sampler,
      int steps,
      double cfgScale,
      Guidance.@Nullable Channels channels) {
    return new AutoValue_SamplingSettings(sampler, steps, cfgScale, channels);
  }

  /**
   * As {@link #of(SamplerKind, int, double, Guidance.Channels)} with the sampler by name ({@code
   * ddim}, ...).
   */
  public static SamplingSettings of(
      String sampler, int steps, double cfgScale, Guidance.@Nullable Channels channels) {
    return of(SamplerKind.parse(sampler), steps, cfgScale, channels);
  }

  /** The sampler a model of {@code family} runs with these settings. */
  public SamplerKind samplerFor(ModelFamily family) {
    return sampler() != null ? sampler() : SamplingRun.defaultSampler(family);
  }

  /**
   * "ddim20" or "dpm-solver20": the schedule id of the plain sampler for a model of {@code family}.
   */
  public String plainScheduleId(ModelFamily family) {
    return samplerFor(family).cliName() + steps();
  }

  SamplingSettings withSampler(@Nullable SamplerKind sampler) {
    return of(sampler, steps(), cfgScale(), guidedChannels());
  }

  SamplingSettings withSteps(int steps) {
    return of(sampler(), steps, cfgScale(), guidedChannels());
  }

  SamplingSettings withCfgScale(double scale) {
    return of(sampler(), steps(), scale, guidedChannels());
  }

  SamplingSettings withGuidedChannels(Guidance.@Nullable Channels channels) {
    return of(sampler(), steps(), cfgScale(), channels);
  }
}
