package org.l2cbeam.beam;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import org.apache.beam.sdk.coders.AtomicCoder;
import org.l2cbeam.core.model.ModelExecution;

/**
 * Encodes a {@link ModelRef} field by field (strings as length-prefixed UTF-8, so long configs
 * fit).
 */
public final class ModelRefCoder extends AtomicCoder<ModelRef> {
  private static final ModelRefCoder INSTANCE = new ModelRefCoder();

  public static ModelRefCoder of() {
    return INSTANCE;
  }

  private ModelRefCoder() {}

  @Override
  public void encode(ModelRef v, OutputStream out) throws IOException {
    DataOutputStream data = new DataOutputStream(out);
    writeString(data, v.uri());
    writeString(data, v.fingerprint());
    writeString(data, v.architecture());
    data.writeInt(v.inputSize());
    data.writeInt(v.inChannels());
    data.writeInt(v.numClasses());
    data.writeInt(v.cacheUnits());
    data.writeInt(v.numHeads());
    writeString(data, v.configJson());
    writeString(data, v.execution());
  }

  @Override
  public ModelRef decode(InputStream in) throws IOException {
    DataInputStream data = new DataInputStream(in);
    ModelRef ref =
        ModelRef.of(
            readString(data),
            readString(data),
            readString(data),
            data.readInt(),
            data.readInt(),
            data.readInt(),
            data.readInt(),
            data.readInt(),
            readString(data));
    String execution = readString(data);
    return execution.isEmpty() ? ref : ref.withExecution(ModelExecution.parse(execution));
  }

  static void writeString(DataOutputStream data, String s) throws IOException {
    byte[] utf8 = s.getBytes(StandardCharsets.UTF_8);
    data.writeInt(utf8.length);
    data.write(utf8);
  }

  static String readString(DataInputStream data) throws IOException {
    int n = data.readInt();
    if (n < 0) throw new IOException("corrupt string length " + n);
    byte[] utf8 = new byte[n];
    data.readFully(utf8);
    return new String(utf8, StandardCharsets.UTF_8);
  }

  @Override
  public void verifyDeterministic() {}

  @Override
  public boolean consistentWithEquals() {
    return true;
  }
}
