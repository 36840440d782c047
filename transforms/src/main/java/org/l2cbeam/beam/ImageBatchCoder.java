package org.l2cbeam.beam;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import org.apache.beam.sdk.coders.AtomicCoder;
import org.apache.beam.sdk.coders.CoderException;
import org.l2cbeam.core.image.ImageBatch;

/** Encodes an {@link ImageBatch}: its NHWC shape, then the uint8 pixels. Deterministic. */
public final class ImageBatchCoder extends AtomicCoder<ImageBatch> {
  private static final ImageBatchCoder INSTANCE = new ImageBatchCoder();

  public static ImageBatchCoder of() {
    return INSTANCE;
  }

  private ImageBatchCoder() {}

  @Override
  public void encode(ImageBatch value, OutputStream out) throws IOException {
    DataOutputStream data = new DataOutputStream(out);
    data.writeInt(value.count());
    data.writeInt(value.height());
    data.writeInt(value.width());
    data.writeInt(value.channels());
    data.write(value.pixels());
  }

  @Override
  public ImageBatch decode(InputStream in) throws IOException {
    DataInputStream data = new DataInputStream(in);
    int count = data.readInt();
    int height = data.readInt();
    int width = data.readInt();
    int channels = data.readInt();
    long size = (long) count * height * width * channels;
    if (count < 0 || height <= 0 || width <= 0 || channels <= 0 || size > Integer.MAX_VALUE) {
      throw new CoderException(
          "corrupt ImageBatch: shape ["
              + count
              + ", "
              + height
              + ", "
              + width
              + ", "
              + channels
              + "]");
    }
    byte[] pixels = new byte[(int) size];
    data.readFully(pixels);
    return new ImageBatch(count, height, width, channels, pixels);
  }

  @Override
  public void verifyDeterministic() {}

  @Override
  public boolean consistentWithEquals() {
    return true;
  }
}
