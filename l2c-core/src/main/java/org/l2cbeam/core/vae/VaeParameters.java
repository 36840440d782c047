package org.l2cbeam.core.vae;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;

/**
 * Where an {@link AutoencoderKL} gets its parameters: a checkpoint, or random weights for
 * benchmarks.
 */
public interface VaeParameters {
  VaeConfig config();

  /**
   * A new array in {@code manager} holding the parameter named {@code ldmKey}, in the LDM shape.
   */
  NDArray load(String ldmKey, NDManager manager);

  /** What to call these parameters in messages, e.g. the checkpoint path. */
  String description();
}
