package org.l2cbeam.core.router.train;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/** Examples held in Java arrays (tests, small sets, a worker's share of a Beam collection). */
public final class InMemoryExamples implements TrainingExamples {
  private final int[] shape;
  private final float[] values;
  private final int[] labels;
  private final String source;
  private String fingerprint;

  /**
   * @param shape {@code [C, H, W]} of one example
   * @param values {@code labels.length * C*H*W} floats, example after example
   */
  public InMemoryExamples(int[] shape, float[] values, int[] labels, String source) {
    int n = shape[0] * shape[1] * shape[2];
    if (values.length != (long) n * labels.length) {
      throw new IllegalArgumentException(
          source + ": " + labels.length + " examples of " + n + " values need " + (long) n * labels.length
              + " floats, got " + values.length);
    }
    this.shape = shape.clone();
    this.values = values;
    this.labels = labels;
    this.source = source;
  }

  @Override
  public int size() {
    return labels.length;
  }

  @Override
  public int[] exampleShape() {
    return shape.clone();
  }

  @Override
  public void copyExample(int index, float[] dst, int offset) {
    int n = shape[0] * shape[1] * shape[2];
    System.arraycopy(values, index * n, dst, offset, n);
  }

  @Override
  public int label(int index) {
    return labels[index];
  }

  @Override
  public synchronized String fingerprint() {
    if (fingerprint == null) {
      try {
        MessageDigest md = MessageDigest.getInstance("SHA-256");
        ByteBuffer b = ByteBuffer.allocate(4 * (3 + values.length + labels.length)).order(ByteOrder.LITTLE_ENDIAN);
        for (int s : shape) b.putInt(s);
        for (float v : values) b.putFloat(v);
        for (int y : labels) b.putInt(y);
        md.update(b.array());
        fingerprint = HexFormat.of().formatHex(md.digest());
      } catch (NoSuchAlgorithmException e) {
        throw new IllegalStateException(e);
      }
    }
    return fingerprint;
  }

  @Override
  public String source() {
    return source;
  }
}
