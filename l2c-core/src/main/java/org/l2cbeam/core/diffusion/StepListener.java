package org.l2cbeam.core.diffusion;

import ai.djl.ndarray.NDArray;

/**
 * Sees every sampling step ({@code k = N-1 ... 0}): the new sample, the predicted x_0 and the model
 * output. Arrays are only valid during the call; copy what you keep.
 */
@FunctionalInterface
public interface StepListener {
  void onStep(int k, NDArray sample, NDArray predXStart, NDArray modelOutput);

  StepListener NONE = (k, sample, predXStart, modelOutput) -> {};
}
