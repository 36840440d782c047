package org.l2cbeam.core.diffusion;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;

/** Where a stochastic sampler's per-step Gaussian noise comes from. */
@FunctionalInterface
public interface NoiseSource {
  /**
   * Standard normal noise of {@code shape} (the sampler's batch) for spaced step {@code k}, created
   * in {@code m}.
   */
  NDArray stepNoise(NDManager m, int k, Shape shape);
}
