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
 * Encodes a {@link GeneratedSample}: the request fields, the shape, the uint8 image and float32
 * latent as length-prefixed blocks (floats bit-exact, little-endian), the schedule id and the
 * compute time.
 */
public final class GeneratedSampleCoder extends AtomicCoder<GeneratedSample> {
  private static final GeneratedSampleCoder INSTANCE = new GeneratedSampleCoder();

  public static GeneratedSampleCoder of() {
    return INSTANCE;
  }

  private GeneratedSampleCoder() {}

  @Override
  public void encode(GeneratedSample v, OutputStream out) throws IOException {
    DataOutputStream data = new DataOutputStream(out);
    data.writeLong(v.id());
    data.writeInt(v.label());
    data.writeLong(v.seed());
    data.writeInt(v.channels());
    data.writeInt(v.height());
    data.writeInt(v.width());
    data.writeInt(v.image().length);
    data.write(v.image());
    float[] latent = v.latent();
    data.writeInt(latent.length);
    ByteBuffer buf = ByteBuffer.allocate(4 * latent.length).order(ByteOrder.LITTLE_ENDIAN);
    buf.asFloatBuffer().put(latent);
    data.write(buf.array());
    data.writeUTF(v.scheduleId());
    data.writeLong(v.computeMicros());
  }

  @Override
  public GeneratedSample decode(InputStream in) throws IOException {
    DataInputStream data = new DataInputStream(in);
    SampleRequest request = SampleRequest.of(data.readLong(), data.readInt(), data.readLong());
    int channels = data.readInt();
    int height = data.readInt();
    int width = data.readInt();
    byte[] image = new byte[data.readInt()];
    data.readFully(image);
    byte[] latentBytes = new byte[4 * data.readInt()];
    data.readFully(latentBytes);
    float[] latent = new float[latentBytes.length / 4];
    ByteBuffer.wrap(latentBytes).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(latent);
    String scheduleId = data.readUTF();
    long micros = data.readLong();
    return image.length > 0
        ? GeneratedSample.ofImage(request, channels, height, width, image, scheduleId, micros)
        : GeneratedSample.ofLatent(request, channels, height, width, latent, scheduleId, micros);
  }

  @Override
  public void verifyDeterministic() {}
}
