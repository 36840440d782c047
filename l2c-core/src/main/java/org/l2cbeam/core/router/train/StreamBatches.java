package org.l2cbeam.core.router.train;

import java.util.Arrays;
import java.util.Iterator;

/**
 * Batches cut from a stream of examples in arrival order (for a worker that is handed its examples,
 * e.g. one cache step's trainer in a Beam pipeline). The incomplete last batch is dropped and the
 * run ends with the stream. To resume, the stream must replay the same sequence; the examples of
 * completed iterations are skipped.
 */
public final class StreamBatches implements BatchSource {
  private final Iterator<LabelledExample> stream;
  private final int[] exampleShape;
  private final int numClasses;
  private final long seed;
  private final int batch;
  private long next;

  /**
   * @param exampleShape the model's input shape {@code [C, H, W]}; every example must have {@code
   *     C*H*W} values
   * @param numClasses labels must be in {@code 0..numClasses-1}
   */
  public StreamBatches(
      Iterator<LabelledExample> stream, int[] exampleShape, int numClasses, long seed, int batch) {
    this.stream = stream;
    this.exampleShape = exampleShape.clone();
    this.numClasses = numClasses;
    this.seed = seed;
    this.batch = batch;
  }

  /** The batch of {@code iteration}, or null once the stream cannot fill it. */
  @Override
  public TrainingBatch batch(long iteration, int cacheStep) {
    if (iteration < next) {
      throw new IllegalStateException(
          "iteration " + iteration + " was already consumed from the stream");
    }
    int n = exampleShape[0] * exampleShape[1] * exampleShape[2];
    for (; next < iteration; next++) {
      for (int i = 0; i < batch; i++) {
        if (!stream.hasNext()) return null;
        stream.next();
      }
    }
    float[] x0 = new float[batch * n];
    long[] labels = new long[batch];
    for (int i = 0; i < batch; i++) {
      if (!stream.hasNext()) return null;
      LabelledExample e = stream.next();
      if (e.values().length != n) {
        throw new IllegalArgumentException(
            "example "
                + (next * batch + i)
                + " of the stream has "
                + e.values().length
                + " values but the model"
                + " takes "
                + Arrays.toString(exampleShape)
                + " = "
                + n);
      }
      if (e.label() < 0 || e.label() >= numClasses) {
        throw new IllegalArgumentException(
            "example "
                + (next * batch + i)
                + " of the stream has label "
                + e.label()
                + ", outside the model's "
                + numClasses
                + " classes");
      }
      System.arraycopy(e.values(), 0, x0, i * n, n);
      labels[i] = e.label();
    }
    next++;
    return TrainingBatch.draw(seed, iteration, cacheStep, exampleShape, x0, labels);
  }
}
