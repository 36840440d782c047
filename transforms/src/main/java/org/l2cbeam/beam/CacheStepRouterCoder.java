package org.l2cbeam.beam;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import org.apache.beam.sdk.coders.AtomicCoder;
import org.l2cbeam.core.router.RouterArtifact;

/**
 * Encodes a {@link CacheStepRouter} field by field: the cache step, the logits bit for bit (row
 * count, row length, raw float bits), the data fingerprint, and the training provenance as the
 * router JSON writes it, so it reads back as the merged artifact would read it anyway.
 */
final class CacheStepRouterCoder extends AtomicCoder<CacheStepRouter> {
  private static final CacheStepRouterCoder INSTANCE = new CacheStepRouterCoder();

  static CacheStepRouterCoder of() {
    return INSTANCE;
  }

  private CacheStepRouterCoder() {}

  @Override
  public void encode(CacheStepRouter r, OutputStream out) throws IOException {
    DataOutputStream data = new DataOutputStream(out);
    data.writeInt(r.cacheStep);
    data.writeInt(r.logits.length);
    for (float[] row : r.logits) {
      data.writeInt(row.length);
      for (float v : row) data.writeInt(Float.floatToRawIntBits(v));
    }
    ModelRefCoder.writeString(data, r.dataFingerprint);
    ModelRefCoder.writeString(data, RouterArtifact.Provenance.trainingToJson(r.training));
  }

  @Override
  public CacheStepRouter decode(InputStream in) throws IOException {
    DataInputStream data = new DataInputStream(in);
    int cacheStep = data.readInt();
    int rows = data.readInt();
    if (rows < 0) throw new IOException("corrupt router row count " + rows);
    float[][] logits = new float[rows][];
    for (int k = 0; k < rows; k++) {
      int units = data.readInt();
      if (units < 0) throw new IOException("corrupt router row length " + units);
      logits[k] = new float[units];
      for (int u = 0; u < units; u++) logits[k][u] = Float.intBitsToFloat(data.readInt());
    }
    String dataFingerprint = ModelRefCoder.readString(data);
    return new CacheStepRouter(
        cacheStep,
        logits,
        RouterArtifact.Provenance.trainingFromJson(ModelRefCoder.readString(data)),
        dataFingerprint);
  }

  @Override
  public void verifyDeterministic() {}
}
