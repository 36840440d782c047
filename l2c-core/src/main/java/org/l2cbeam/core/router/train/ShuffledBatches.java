package org.l2cbeam.core.router.train;

/**
 * Batches drawn from a finite {@link TrainingExamples} set like the original's loader ({@code
 * shuffle=True, drop_last=True}): each epoch visits the examples in a fresh random order and drops
 * the incomplete last batch. The order of epoch e is a pure function of (seed, e), so any
 * iteration's batch can be recomputed on resume.
 */
public final class ShuffledBatches implements BatchSource {
  private final TrainingExamples examples;
  private final long seed;
  private final int batch;
  private final int batchesPerEpoch;
  private long cachedEpoch = -1;
  private int[] order;

  public ShuffledBatches(TrainingExamples examples, long seed, int batch) {
    if (examples.size() == 0) {
      throw new IllegalArgumentException(
          "training data " + examples.source() + " is empty: no examples to train on");
    }
    if (examples.size() < batch) {
      throw new IllegalArgumentException(
          "training data "
              + examples.source()
              + " has "
              + examples.size()
              + " examples, fewer than --batch "
              + batch);
    }
    this.examples = examples;
    this.seed = seed;
    this.batch = batch;
    this.batchesPerEpoch = examples.size() / batch;
  }

  @Override
  public TrainingBatch batch(long iteration, int cacheStep) {
    long epoch = iteration / batchesPerEpoch;
    int first = (int) (iteration % batchesPerEpoch) * batch;
    if (epoch != cachedEpoch) {
      order =
          TrainingRandom.stream(seed, TrainingRandom.Purpose.EPOCH_ORDER, epoch)
              .permutation(examples.size());
      cachedEpoch = epoch;
    }
    int[] shape = examples.exampleShape();
    int n = shape[0] * shape[1] * shape[2];
    float[] x0 = new float[batch * n];
    long[] labels = new long[batch];
    for (int i = 0; i < batch; i++) {
      int index = order[first + i];
      examples.copyExample(index, x0, i * n);
      labels[i] = examples.label(index);
    }
    return TrainingBatch.draw(seed, iteration, cacheStep, shape, x0, labels);
  }
}
