package org.l2cbeam.beam;

import com.google.auto.value.AutoValue;
import java.io.Serializable;
import org.checkerframework.checker.nullness.qual.Nullable;
import org.l2cbeam.core.diffusion.DdimSampler;
import org.l2cbeam.core.diffusion.DdpmSampler;
import org.l2cbeam.core.diffusion.Guidance;
import org.l2cbeam.core.diffusion.NoiseSchedule;
import org.l2cbeam.core.diffusion.Sampler;
import org.l2cbeam.core.diffusion.SeededNoise;

/** How {@link CachedSample} samples: the sampler, its step count and classifier-free guidance. Serializable. */
@AutoValue
public abstract class SamplingSettings implements Serializable {
  private static final long serialVersionUID = 1L;

  /** {@code ddim} (eta = 0, the sampler L2C routers are trained for) or {@code ddpm}. */
  public abstract String sampler();

  public abstract int steps();

  /** Guidance scale; 1 means no guidance (one forward per step instead of a doubled batch). */
  public abstract double cfgScale();

  /** Which channels guidance applies to; null means the original's rule ({@link Guidance#defaultFor}). */
  public abstract Guidance.@Nullable Channels guidedChannels();

  public static SamplingSettings of(String sampler, int steps, double cfgScale, Guidance.@Nullable Channels channels) {
    return new AutoValue_SamplingSettings(sampler, steps, cfgScale, channels);
  }

  /** "ddim20", the schedule id of the plain sampler. */
  public String plainScheduleId() {
    return sampler() + steps();
  }

  /** Guidance for a model with {@code inChannels} channels, or null when the scale does not guide. */
  @Nullable
  Guidance guidance(int inChannels) {
    if (cfgScale() <= 1.0) return null;
    return guidedChannels() == null
        ? Guidance.defaultFor(cfgScale(), inChannels)
        : new Guidance(cfgScale(), guidedChannels());
  }

  /** A fresh sampler over DiT's respaced linear schedule; DDPM draws its step noise from {@code noise}. */
  Sampler newSampler(SeededNoise noise) {
    NoiseSchedule schedule = NoiseSchedule.dit(steps());
    return sampler().equals("ddpm") ? new DdpmSampler(schedule, noise) : new DdimSampler(schedule);
  }
}
