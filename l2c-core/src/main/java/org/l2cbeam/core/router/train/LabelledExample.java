package org.l2cbeam.core.router.train;

/**
 * One training input in the model's input space, {@code [C, H, W]} row-major, with its class label.
 */
public final class LabelledExample {
  private final float[] values;
  private final int label;

  public LabelledExample(float[] values, int label) {
    this.values = values;
    this.label = label;
  }

  public float[] values() {
    return values;
  }

  public int label() {
    return label;
  }
}
