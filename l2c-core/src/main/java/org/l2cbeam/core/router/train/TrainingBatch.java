package org.l2cbeam.core.router.train;

/**
 * The inputs of one router-training iteration (docs/how-l2c-works.md, "Router training"), all drawn
 * before the model runs: clean inputs {@code x0 [B, C, H, W]}, labels, the cache step k whose
 * router is trained (its full step is k+1), the q_sample noise and the label-dropout mask shared by
 * the three forwards.
 */
public final class TrainingBatch {
  private final int[] shape;
  private final float[] x0;
  private final long[] labels;
  private final int cacheStep;
  private final float[] noise;
  private final boolean[] dropLabel;

  public TrainingBatch(
      int[] shape, float[] x0, long[] labels, int cacheStep, float[] noise, boolean[] dropLabel) {
    if (shape.length != 4) throw new IllegalArgumentException("batch shape must be [B, C, H, W]");
    int b = shape[0];
    int n = b * shape[1] * shape[2] * shape[3];
    if (x0.length != n || noise.length != n) {
      throw new IllegalArgumentException(
          "batch of shape "
              + java.util.Arrays.toString(shape)
              + " needs "
              + n
              + " values, got x0 "
              + x0.length
              + ", noise "
              + noise.length);
    }
    if (labels.length != b || dropLabel.length != b) {
      throw new IllegalArgumentException(
          "batch of " + b + " needs " + b + " labels and dropout flags");
    }
    if (cacheStep < 0) {
      throw new IllegalArgumentException("cache step must be a router row >= 0, got " + cacheStep);
    }
    this.shape = shape.clone();
    this.x0 = x0;
    this.labels = labels;
    this.cacheStep = cacheStep;
    this.noise = noise;
    this.dropLabel = dropLabel;
  }

  /**
   * Draws the random parts of iteration {@code iteration} from the run's seed: a batch is a pure
   * function of (seed, iteration, examples), which is what makes resume bit-identical (see {@link
   * TrainingRandom}).
   */
  public static TrainingBatch draw(
      long seed, long iteration, int cacheStep, int[] exampleShape, float[] x0, long[] labels) {
    int b = labels.length;
    int n = x0.length;
    float[] noise =
        TrainingRandom.stream(seed, TrainingRandom.Purpose.NOISE, iteration).gaussians(n);
    TrainingRandom drop =
        TrainingRandom.stream(seed, TrainingRandom.Purpose.LABEL_DROPOUT, iteration);
    boolean[] dropLabel = new boolean[b];
    for (int i = 0; i < b; i++) dropLabel[i] = drop.nextFloat() < TrainingSettings.LABEL_DROPOUT;
    int[] shape = {b, exampleShape[0], exampleShape[1], exampleShape[2]};
    return new TrainingBatch(shape, x0, labels, cacheStep, noise, dropLabel);
  }

  /**
   * The cache step of iteration {@code iteration}: fixed, or uniform over the family's trained
   * router rows like the original (DiT: {@code 2j}, j uniform in 0..N/2−1; U-ViT: {@code j+1}, j
   * uniform in 0..K−2).
   */
  public static int cacheStepOf(TrainingSettings settings, long iteration) {
    if (settings.trainsOneCacheStep()) return settings.cacheStep();
    int[] rows = settings.cacheStepRows();
    int j =
        TrainingRandom.stream(settings.seed(), TrainingRandom.Purpose.CACHE_STEP, iteration)
            .nextInt(rows.length);
    return rows[j];
  }

  public int[] shape() {
    return shape.clone();
  }

  public int size() {
    return shape[0];
  }

  public float[] x0() {
    return x0;
  }

  public long[] labels() {
    return labels;
  }

  /**
   * The router row trained by this batch (DiT: an even spaced index; U-ViT: an outer step 1..K−1).
   */
  public int cacheStep() {
    return cacheStep;
  }

  public float[] noise() {
    return noise;
  }

  public boolean[] dropLabel() {
    return dropLabel;
  }
}
