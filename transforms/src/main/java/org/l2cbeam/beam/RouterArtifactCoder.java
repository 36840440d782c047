package org.l2cbeam.beam;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.apache.beam.sdk.coders.AtomicCoder;
import org.l2cbeam.core.router.RouterArtifact;

/**
 * Encodes a {@link RouterArtifact} as its JSON document, which round-trips exactly (logits are
 * written as the shortest decimal that parses back to the same float). Decoding goes through the
 * artifact's own validating reader.
 */
public final class RouterArtifactCoder extends AtomicCoder<RouterArtifact> {
  private static final RouterArtifactCoder INSTANCE = new RouterArtifactCoder();

  public static RouterArtifactCoder of() {
    return INSTANCE;
  }

  private RouterArtifactCoder() {}

  @Override
  public void encode(RouterArtifact value, OutputStream out) throws IOException {
    byte[] json = value.toJson().getBytes(StandardCharsets.UTF_8);
    DataOutputStream data = new DataOutputStream(out);
    data.writeInt(json.length);
    data.write(json);
  }

  @Override
  public RouterArtifact decode(InputStream in) throws IOException {
    DataInputStream data = new DataInputStream(in);
    byte[] json = new byte[data.readInt()];
    data.readFully(json);
    return RouterArtifact.parse(
        new String(json, StandardCharsets.UTF_8), Path.of("RouterArtifactCoder"));
  }

  @Override
  public void verifyDeterministic() {}
}
