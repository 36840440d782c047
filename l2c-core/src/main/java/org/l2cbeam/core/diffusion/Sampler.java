package org.l2cbeam.core.diffusion;

import ai.djl.ndarray.NDArray;

/** A reverse-diffusion sampler over a respaced {@link NoiseSchedule}. */
public interface Sampler {
  NoiseSchedule schedule();

  /**
   * Runs every step from {@code xT} and returns the final sample, attached to {@code xT}'s manager.
   * Each step works in its own sub-manager, so memory stays flat however many steps run.
   */
  NDArray sample(NDArray xT, Denoiser model, StepListener listener);
}
