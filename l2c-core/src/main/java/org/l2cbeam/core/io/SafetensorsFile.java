package org.l2cbeam.core.io;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads a safetensors file by memory-mapping each tensor, so files over 2 GiB work (DJL's decoder
 * parses offsets as int and buffers the whole file). The header is validated completely before any
 * tensor is handed out.
 */
public final class SafetensorsFile {
  private static final long MAX_HEADER_BYTES = 100L << 20;

  private SafetensorsFile() {}

  /** Tensors in header order, plus the {@code __metadata__} strings. */
  public static final class Contents {
    public final Map<String, TensorData> tensors;
    public final Map<String, String> metadata;

    Contents(Map<String, TensorData> tensors, Map<String, String> metadata) {
      this.tensors = Collections.unmodifiableMap(tensors);
      this.metadata = Collections.unmodifiableMap(metadata);
    }
  }

  public static Contents read(Path file) {
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
      long size = ch.size();
      if (size < 8) {
        throw new CheckpointFormatException(
            file, "truncated safetensors file: " + size + " bytes, no header length");
      }
      ByteBuffer lenBuf = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
      readFully(ch, lenBuf, 0);
      long headerLen = lenBuf.getLong(0);
      if (headerLen <= 0 || headerLen > MAX_HEADER_BYTES) {
        // The length is an unsigned 64-bit count: print it as one.
        throw new CheckpointFormatException(
            file,
            "invalid safetensors header length "
                + Long.toUnsignedString(headerLen)
                + " (at most "
                + MAX_HEADER_BYTES
                + " bytes)");
      }
      if (8 + headerLen > size) {
        throw new CheckpointFormatException(
            file,
            "header length " + headerLen + " runs past the end of the file (" + size + " bytes)");
      }
      ByteBuffer headerBuf = ByteBuffer.allocate((int) headerLen);
      readFully(ch, headerBuf, 8);
      String json = new String(headerBuf.array(), StandardCharsets.UTF_8);
      JsonObject header;
      try {
        header = JsonParser.parseString(json).getAsJsonObject();
      } catch (RuntimeException e) {
        throw new CheckpointFormatException(
            file, "safetensors header is not a JSON object: " + JsonText.problem(e), e);
      }
      long dataStart = 8 + headerLen;
      long dataLen = size - dataStart;
      Map<String, String> metadata = new LinkedHashMap<>();
      List<long[]> ranges = new ArrayList<>();
      List<String> rangeNames = new ArrayList<>();
      Map<String, Object[]> specs = new LinkedHashMap<>();
      for (Map.Entry<String, JsonElement> e : header.entrySet()) {
        String name = e.getKey();
        if (name.equals("__metadata__")) {
          for (Map.Entry<String, JsonElement> m : e.getValue().getAsJsonObject().entrySet()) {
            metadata.put(m.getKey(), m.getValue().getAsString());
          }
          continue;
        }
        JsonObject spec;
        DType dtype;
        long[] shape;
        long begin;
        long end;
        try {
          spec = e.getValue().getAsJsonObject();
          String dtypeName = spec.get("dtype").getAsString();
          try {
            dtype = DType.fromSafetensors(dtypeName);
          } catch (IllegalArgumentException bad) {
            throw new CheckpointFormatException(
                file, "tensor '" + name + "': unknown dtype '" + dtypeName + "'");
          }
          var shapeJson = spec.get("shape").getAsJsonArray();
          shape = new long[shapeJson.size()];
          for (int i = 0; i < shape.length; i++) {
            shape[i] = shapeJson.get(i).getAsLong();
          }
          var off = spec.get("data_offsets").getAsJsonArray();
          begin = off.get(0).getAsLong();
          end = off.get(1).getAsLong();
        } catch (CheckpointFormatException c) {
          throw c;
        } catch (RuntimeException bad) {
          throw new CheckpointFormatException(
              file, "tensor '" + name + "': malformed header entry " + e.getValue());
        }
        if (begin < 0 || end < begin || end > dataLen) {
          throw new CheckpointFormatException(
              file,
              "tensor '"
                  + name
                  + "': data_offsets ["
                  + begin
                  + ", "
                  + end
                  + "] outside the data section of "
                  + dataLen
                  + " bytes"
                  + (end > dataLen && begin >= 0 && end >= begin ? " (file truncated?)" : ""));
        }
        long expected;
        try {
          expected = TensorData.numel(shape) * dtype.bytes();
        } catch (RuntimeException bad) {
          throw new CheckpointFormatException(
              file, "tensor '" + name + "': invalid shape " + bad.getMessage());
        }
        if (end - begin != expected) {
          throw new CheckpointFormatException(
              file,
              "tensor '"
                  + name
                  + "': "
                  + (end - begin)
                  + " bytes for shape "
                  + java.util.Arrays.toString(shape)
                  + " x "
                  + dtype
                  + " (expected "
                  + expected
                  + ")");
        }
        ranges.add(new long[] {begin, end});
        rangeNames.add(name);
        specs.put(name, new Object[] {dtype, shape, begin, end});
      }
      checkNoOverlap(file, ranges, rangeNames);
      Map<String, TensorData> tensors = new LinkedHashMap<>();
      for (Map.Entry<String, Object[]> e : specs.entrySet()) {
        Object[] s = e.getValue();
        long begin = (Long) s[2];
        long end = (Long) s[3];
        ByteBuffer data;
        if (end == begin) {
          data = ByteBuffer.allocate(0);
        } else {
          MappedByteBuffer mapped =
              ch.map(FileChannel.MapMode.READ_ONLY, dataStart + begin, end - begin);
          data = mapped;
        }
        tensors.put(e.getKey(), new TensorData((DType) s[0], (long[]) s[1], data));
      }
      return new Contents(tensors, metadata);
    } catch (IOException e) {
      throw new CheckpointFormatException(file, InputFile.readProblem(e), e);
    }
  }

  private static void checkNoOverlap(Path file, List<long[]> ranges, List<String> names) {
    Integer[] order = new Integer[ranges.size()];
    for (int i = 0; i < order.length; i++) order[i] = i;
    java.util.Arrays.sort(order, (a, b) -> Long.compare(ranges.get(a)[0], ranges.get(b)[0]));
    for (int i = 1; i < order.length; i++) {
      long[] prev = ranges.get(order[i - 1]);
      long[] cur = ranges.get(order[i]);
      if (cur[0] < prev[1] && cur[1] > cur[0] && prev[1] > prev[0]) {
        throw new CheckpointFormatException(
            file,
            "tensors '"
                + names.get(order[i - 1])
                + "' and '"
                + names.get(order[i])
                + "' overlap in the data section");
      }
    }
  }

  private static void readFully(FileChannel ch, ByteBuffer buf, long pos) throws IOException {
    while (buf.hasRemaining()) {
      int n = ch.read(buf, pos + buf.position());
      if (n < 0) {
        throw new IOException("unexpected end of file");
      }
    }
  }
}
