package org.l2cbeam.core.diffusion;

import ai.djl.ndarray.NDArray;

/**
 * The model as a sampler sees it: the raw model output (eps channels first, then any
 * learned-variance channels) for the batch {@code x} at spaced step {@code k}, whose original
 * timestep is {@code timestep}. Samplers visit {@code k = N-1 ... 0} in order, once each, so an
 * implementation may keep per-step state such as an L2C cache.
 */
@FunctionalInterface
public interface Denoiser {
  NDArray predict(NDArray x, int k, int timestep);
}
