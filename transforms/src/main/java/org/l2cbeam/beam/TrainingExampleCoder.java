package org.l2cbeam.beam;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.apache.beam.sdk.coders.AtomicCoder;

/**
 * Encodes a {@link TrainingExample}: label, shape, then the float32 values bit-exact
 * (little-endian).
 */
public final class TrainingExampleCoder extends AtomicCoder<TrainingExample> {
  private static final TrainingExampleCoder INSTANCE = new TrainingExampleCoder();

  public static TrainingExampleCoder of() {
    return INSTANCE;
  }

  private TrainingExampleCoder() {}

  @Override
  public void encode(TrainingExample v, OutputStream out) throws IOException {
    DataOutputStream data = new DataOutputStream(out);
    data.writeInt(v.label());
    data.writeInt(v.channels());
    data.writeInt(v.height());
    data.writeInt(v.width());
    ByteBuffer buf = ByteBuffer.allocate(4 * v.values().length).order(ByteOrder.LITTLE_ENDIAN);
    buf.asFloatBuffer().put(v.values());
    data.write(buf.array());
  }

  @Override
  public TrainingExample decode(InputStream in) throws IOException {
    DataInputStream data = new DataInputStream(in);
    int label = data.readInt();
    int c = data.readInt();
    int h = data.readInt();
    int w = data.readInt();
    if (c <= 0 || h <= 0 || w <= 0 || (long) c * h * w > Integer.MAX_VALUE / 4) {
      throw new IOException("corrupt TrainingExample encoding: shape " + c + "x" + h + "x" + w);
    }
    byte[] bytes = new byte[4 * c * h * w];
    data.readFully(bytes);
    float[] values = new float[c * h * w];
    ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(values);
    return TrainingExample.of(label, c, h, w, values);
  }

  @Override
  public void verifyDeterministic() {}
}
