package org.l2cbeam.beam;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import org.apache.beam.sdk.coders.AtomicCoder;
import org.apache.beam.sdk.coders.CoderException;
import org.l2cbeam.core.fid.FeatureStats;

/**
 * Encodes a {@link FeatureStats} (the {@link ComputeFID} accumulator) with its own compact
 * encoding: count and the compensated raw sums (the upper triangle of the second moments),
 * length-prefixed. Deterministic: equal statistics give equal bytes, and a round trip is bit-exact.
 */
public final class FeatureStatsCoder extends AtomicCoder<FeatureStats> {
  private static final FeatureStatsCoder INSTANCE = new FeatureStatsCoder();

  public static FeatureStatsCoder of() {
    return INSTANCE;
  }

  private FeatureStatsCoder() {}

  @Override
  public void encode(FeatureStats value, OutputStream out) throws IOException {
    byte[] bytes = value.encode();
    DataOutputStream data = new DataOutputStream(out);
    data.writeInt(bytes.length);
    data.write(bytes);
  }

  @Override
  public FeatureStats decode(InputStream in) throws IOException {
    DataInputStream data = new DataInputStream(in);
    int length = data.readInt();
    if (length < 0) throw new CoderException("corrupt FeatureStats: negative length " + length);
    byte[] bytes = new byte[length];
    data.readFully(bytes);
    try {
      return FeatureStats.decode(bytes);
    } catch (IllegalArgumentException e) {
      throw new CoderException(e.getMessage(), e);
    }
  }

  @Override
  public void verifyDeterministic() {}

  @Override
  public boolean consistentWithEquals() {
    return true;
  }
}
