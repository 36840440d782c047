package org.l2cbeam.core.io;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.Channels;
import java.nio.channels.WritableByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;

/** Writes tensors as safetensors, atomically (temp file, then rename). */
public final class SafetensorsWriter {
  private SafetensorsWriter() {}

  public static void write(Path file, Map<String, TensorData> tensors) throws IOException {
    write(file, tensors, Map.of());
  }

  public static void write(Path file, Map<String, TensorData> tensors, Map<String, String> metadata)
      throws IOException {
    JsonObject header = new JsonObject();
    if (!metadata.isEmpty()) {
      JsonObject meta = new JsonObject();
      metadata.forEach(meta::addProperty);
      header.add("__metadata__", meta);
    }
    long offset = 0;
    for (Map.Entry<String, TensorData> e : tensors.entrySet()) {
      TensorData t = e.getValue();
      JsonObject spec = new JsonObject();
      spec.addProperty("dtype", t.dtype().safetensorsName());
      JsonArray shape = new JsonArray();
      for (long d : t.shape()) shape.add(d);
      spec.add("shape", shape);
      long len = t.numel() * t.dtype().bytes();
      JsonArray off = new JsonArray();
      off.add(offset);
      off.add(offset + len);
      spec.add("data_offsets", off);
      header.add(e.getKey(), spec);
      offset += len;
    }
    byte[] json = header.toString().getBytes(StandardCharsets.UTF_8);
    int padded = (json.length + 7) / 8 * 8;
    byte[] headerBytes = new byte[padded];
    java.util.Arrays.fill(headerBytes, (byte) ' ');
    System.arraycopy(json, 0, headerBytes, 0, json.length);
    AtomicFile.write(
        file,
        out -> {
          ByteBuffer len = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(0, padded);
          out.write(len.array());
          out.write(headerBytes);
          writeData(out, tensors);
        });
  }

  private static void writeData(OutputStream out, Map<String, TensorData> tensors)
      throws IOException {
    WritableByteChannel ch = Channels.newChannel(out);
    for (TensorData t : tensors.values()) {
      ByteBuffer b = t.bytes();
      while (b.hasRemaining()) {
        ch.write(b);
      }
    }
  }
}
