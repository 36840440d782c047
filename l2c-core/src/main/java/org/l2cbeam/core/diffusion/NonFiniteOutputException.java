package org.l2cbeam.core.diffusion;

/** The model produced NaN or Inf during sampling; the message names the step and, when known, the cache unit. */
public final class NonFiniteOutputException extends RuntimeException {
  private final int step;
  private final int unit;

  public NonFiniteOutputException(String message, int step, int unit) {
    super(message);
    this.step = step;
    this.unit = unit;
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
