package org.l2cbeam.core.router.train;

/**
 * The part of {@link TrainingExamples} that is the same for every set whose example shape, labels
 * and source are known when it is created; subclasses only say where the example values and the
 * fingerprint come from.
 */
abstract class AbstractTrainingExamples implements TrainingExamples {
  private final int[] shape;
  private final int[] labels;
  private final String source;

  /**
   * @param shape {@code [C, H, W]} of one example
   * @param labels one class label per example; the set's size
   */
  AbstractTrainingExamples(int[] shape, int[] labels, String source) {
    this.shape = shape;
    this.labels = labels;
    this.source = source;
  }

  @Override
  public final int size() {
    return labels.length;
  }

  @Override
  public final int[] exampleShape() {
    return shape.clone();
  }

  /** {@code C*H*W}: the floats of one example. */
  final int valuesPerExample() {
    return shape[0] * shape[1] * shape[2];
  }

  @Override
  public final int label(int index) {
    return labels[index];
  }

  @Override
  public final String source() {
    return source;
  }
}
