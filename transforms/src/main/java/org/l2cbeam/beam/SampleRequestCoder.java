package org.l2cbeam.beam;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import org.apache.beam.sdk.coders.AtomicCoder;

/** Fixed-width, deterministic encoding of a {@link SampleRequest} (usable as a key). */
public final class SampleRequestCoder extends AtomicCoder<SampleRequest> {
  private static final SampleRequestCoder INSTANCE = new SampleRequestCoder();

  public static SampleRequestCoder of() {
    return INSTANCE;
  }

  private SampleRequestCoder() {}

  @Override
  public void encode(SampleRequest value, OutputStream out) throws IOException {
    DataOutputStream data = new DataOutputStream(out);
    data.writeLong(value.id());
    data.writeInt(value.label());
    data.writeLong(value.seed());
  }

  @Override
  public SampleRequest decode(InputStream in) throws IOException {
    DataInputStream data = new DataInputStream(in);
    return SampleRequest.of(data.readLong(), data.readInt(), data.readLong());
  }

  @Override
  public void verifyDeterministic() {}

  @Override
  public boolean consistentWithEquals() {
    return true;
  }
}
