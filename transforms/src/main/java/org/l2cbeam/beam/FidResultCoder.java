package org.l2cbeam.beam;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import org.apache.beam.sdk.coders.AtomicCoder;

/** Encodes a {@link FidResult}; the distance is stored bit-exact. */
public final class FidResultCoder extends AtomicCoder<FidResult> {
  private static final FidResultCoder INSTANCE = new FidResultCoder();

  public static FidResultCoder of() {
    return INSTANCE;
  }

  private FidResultCoder() {}

  @Override
  public void encode(FidResult v, OutputStream out) throws IOException {
    DataOutputStream data = new DataOutputStream(out);
    data.writeDouble(v.fid());
    data.writeLong(v.imageCount());
    data.writeInt(v.featureDimension());
    ModelRefCoder.writeString(data, v.extractor());
    ModelRefCoder.writeString(data, v.reference());
    ModelRefCoder.writeString(data, v.label());
    ModelRefCoder.writeString(data, v.scheduleId());
  }

  @Override
  public FidResult decode(InputStream in) throws IOException {
    DataInputStream data = new DataInputStream(in);
    return FidResult.of(
        data.readDouble(),
        data.readLong(),
        data.readInt(),
        ModelRefCoder.readString(data),
        ModelRefCoder.readString(data),
        ModelRefCoder.readString(data),
        ModelRefCoder.readString(data));
  }

  @Override
  public void verifyDeterministic() {}

  @Override
  public boolean consistentWithEquals() {
    return true;
  }
}
