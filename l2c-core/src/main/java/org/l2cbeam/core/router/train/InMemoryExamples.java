package org.l2cbeam.core.router.train;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/** Examples held in Java arrays (tests, small sets, a worker's share of a Beam collection). */
public final class InMemoryExamples extends AbstractTrainingExamples {
  private final float[] values;
  private String fingerprint;

  /**
   * @param shape {@code [C, H, W]} of one example
   * @param values {@code labels.length * C*H*W} floats, example after example
   */
  public InMemoryExamples(int[] shape, float[] values, int[] labels, String source) {
    super(shape.clone(), labels, source);
    int n = valuesPerExample();
    if (values.length != (long) n * labels.length) {
      throw new IllegalArgumentException(
          source
              + ": "
              + labels.length
              + " examples of "
              + n
              + " values need "
              + (long) n * labels.length
              + " floats, got "
              + values.length);
    }
    this.values = values;
  }

  @Override
  public void copyExample(int index, float[] dst, int offset) {
    int n = valuesPerExample();
    System.arraycopy(values, index * n, dst, offset, n);
  }

  @Override
  public synchronized String fingerprint() {
    if (fingerprint == null) {
      ByteBuffer b =
          ByteBuffer.allocate(4 * (3 + values.length + size())).order(ByteOrder.LITTLE_ENDIAN);
      for (int s : exampleShape()) b.putInt(s);
      for (float v : values) b.putFloat(v);
      for (int i = 0; i < size(); i++) b.putInt(label(i));
      fingerprint = new ContentFingerprint().add(b.array()).hex();
    }
    return fingerprint;
  }
}
