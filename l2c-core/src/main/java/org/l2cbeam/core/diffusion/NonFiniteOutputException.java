package org.l2cbeam.core.diffusion;

import ai.djl.ndarray.NDArray;

/**
 * The model produced NaN or Inf during sampling; the message names the step and, when known, the
 * cache unit.
 */
public final class NonFiniteOutputException extends RuntimeException {
  private final int step;
  private final int unit;

  public NonFiniteOutputException(String message, int step, int unit) {
    super(message);
    this.step = step;
    this.unit = unit;
  }

  /**
   * True unless {@code a} holds a NaN or an infinity: the check before a sampler steps with a model
   * output.
   */
  public static boolean allFinite(NDArray a) {
    try (NDArray nan = a.isNaN();
        NDArray inf = a.isInfinite();
        NDArray bad = nan.logicalOr(inf);
        NDArray any = bad.any()) {
      return !any.getBoolean();
    }
  }

  /** The spaced step index k. */
  public int step() {
    return step;
  }

  /** The first cache unit (in forward order) whose output was non-finite, or -1 if none was. */
  public int unit() {
    return unit;
  }
}
