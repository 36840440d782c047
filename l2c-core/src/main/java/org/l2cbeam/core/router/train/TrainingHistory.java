package org.l2cbeam.core.router.train;

import java.util.Arrays;

/**
 * Per-iteration record of a run (loss, its two terms, the cache step trained), kept for the
 * loss-curve summary.
 */
public final class TrainingHistory {
  private float[] loss;
  private float[] dataLoss;
  private float[] l1;
  private int[] cacheStep;
  private int size;

  public TrainingHistory() {
    this(new float[0], new float[0], new float[0], new int[0]);
  }

  public TrainingHistory(float[] loss, float[] dataLoss, float[] l1, int[] cacheStep) {
    if (dataLoss.length != loss.length
        || l1.length != loss.length
        || cacheStep.length != loss.length) {
      throw new IllegalArgumentException("history arrays differ in length");
    }
    this.loss = loss.clone();
    this.dataLoss = dataLoss.clone();
    this.l1 = l1.clone();
    this.cacheStep = cacheStep.clone();
    this.size = loss.length;
  }

  public void add(float loss, float dataLoss, float l1, int cacheStep) {
    if (size == this.loss.length) {
      int n = Math.max(16, size * 2);
      this.loss = Arrays.copyOf(this.loss, n);
      this.dataLoss = Arrays.copyOf(this.dataLoss, n);
      this.l1 = Arrays.copyOf(this.l1, n);
      this.cacheStep = Arrays.copyOf(this.cacheStep, n);
    }
    this.loss[size] = loss;
    this.dataLoss[size] = dataLoss;
    this.l1[size] = l1;
    this.cacheStep[size] = cacheStep;
    size++;
  }

  public int size() {
    return size;
  }

  public float[] loss() {
    return Arrays.copyOf(loss, size);
  }

  public float[] dataLoss() {
    return Arrays.copyOf(dataLoss, size);
  }

  public float[] l1() {
    return Arrays.copyOf(l1, size);
  }

  public int[] cacheStep() {
    return Arrays.copyOf(cacheStep, size);
  }

  /** Mean of {@code values[from, to)}, or NaN if empty. */
  public static double mean(float[] values, int from, int to) {
    if (to <= from) return Double.NaN;
    double s = 0;
    for (int i = from; i < to; i++) s += values[i];
    return s / (to - from);
  }

  @Override
  public boolean equals(Object o) {
    if (!(o instanceof TrainingHistory)) return false;
    TrainingHistory h = (TrainingHistory) o;
    return Arrays.equals(loss(), h.loss())
        && Arrays.equals(dataLoss(), h.dataLoss())
        && Arrays.equals(l1(), h.l1())
        && Arrays.equals(cacheStep(), h.cacheStep());
  }

  @Override
  public int hashCode() {
    return Arrays.hashCode(loss());
  }
}
