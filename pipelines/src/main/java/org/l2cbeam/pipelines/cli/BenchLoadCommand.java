package org.l2cbeam.pipelines.cli;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.LongBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import org.l2cbeam.core.io.TensorData;
import org.l2cbeam.core.io.WeightMap;
import org.l2cbeam.core.runtime.Torch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code l2c bench load}: writes a DiT-XL/2-shaped fp32 safetensors file of about {@code --gib} GiB
 * (blocks are added until the size is reached), then times {@link WeightMap#open} (header
 * validation and per-tensor mmap), a full read of every tensor's bytes, and the conversion of the
 * largest tensor to a DJL NDArray. The file lives in a temporary directory and is always deleted.
 * Reads hit the page cache the write just filled (a warm-cache figure).
 */
@Command(
    name = "load",
    description = "Time loading a generated multi-GiB safetensors checkpoint (mmap reader).")
final class BenchLoadCommand implements Callable<Integer> {
  private static final long HIDDEN = 1152;

  @Option(
      names = "--gib",
      paramLabel = "G",
      description = "approximate file size in GiB (default ${DEFAULT-VALUE})")
  double gib = 2.7;

  @Option(
      names = "--dir",
      paramLabel = "D",
      description = "directory for the temporary file (default: java.io.tmpdir)")
  Path dir;

  @Option(
      names = "--repeat",
      paramLabel = "N",
      description = "timed load repetitions (default ${DEFAULT-VALUE})")
  int repeat = 3;

  @Override
  public Integer call() throws IOException {
    if (!(gib > 0 && gib <= 64)) {
      throw new IllegalArgumentException("--gib must be in (0, 64], got " + gib);
    }
    Path base = dir != null ? dir : Path.of(System.getProperty("java.io.tmpdir"));
    Files.createDirectories(base);
    Path work = Files.createTempDirectory(base, "l2c-bench-load");
    Path file = work.resolve("dit-xl2-like.safetensors");
    try {
      long t0 = System.nanoTime();
      Map<String, long[]> shapes = ditXl2Shapes((long) (gib * (1L << 30)));
      long bytes = write(file, shapes);
      double writeS = (System.nanoTime() - t0) / 1e9;
      System.out.printf(
          Locale.ROOT,
          "generated %s: %d tensors, %d bytes (%.2f GiB, %.2f GB) in %.1f s%n",
          file,
          shapes.size(),
          bytes,
          bytes / (double) (1L << 30),
          bytes / 1e9,
          writeS);
      for (int run = 1; run <= repeat; run++) {
        long a = System.nanoTime();
        WeightMap w = WeightMap.open(file);
        long b = System.nanoTime();
        long checksum = 0;
        long touched = 0;
        for (TensorData t : w.tensors().values()) {
          ByteBuffer buf = t.bytes();
          LongBuffer longs = buf.asLongBuffer();
          while (longs.hasRemaining()) checksum += longs.get();
          touched += buf.remaining();
        }
        long c = System.nanoTime();
        String biggest = "blocks.0.mlp.fc1.weight";
        long nd;
        try (NDManager m = Torch.newManager()) {
          long d = System.nanoTime();
          NDArray x = w.get(biggest).toNDArray(m);
          nd = System.nanoTime() - d;
          if (x.getShape().get(0) != 4 * HIDDEN)
            throw new IllegalStateException("unexpected shape " + x.getShape());
        }
        System.out.printf(
            Locale.ROOT,
            "run %d: open+validate %.1f ms (%d tensors), full read %.0f ms (%.2f GB/s, checksum %x), %s -> NDArray %.1f"
                + " ms, total %.0f ms%n",
            run,
            (b - a) / 1e6,
            w.names().size(),
            (c - b) / 1e6,
            touched / ((c - b) / 1e9) / 1e9,
            checksum,
            biggest,
            nd / 1e6,
            (c - a + nd) / 1e6);
      }
    } finally {
      Files.deleteIfExists(file);
      Files.deleteIfExists(work);
    }
    return 0;
  }

  /**
   * DiT-XL/2 (256 px) state-dict shapes, with as many blocks as bring the size closest to the
   * target (28 blocks = 2.70 GB = 2.52 GiB).
   */
  static Map<String, long[]> ditXl2Shapes(long targetBytes) {
    Map<String, long[]> s = new LinkedHashMap<>();
    long d = HIDDEN;
    s.put("pos_embed", new long[] {1, 256, d});
    s.put("x_embedder.proj.weight", new long[] {d, 4, 2, 2});
    s.put("x_embedder.proj.bias", new long[] {d});
    s.put("t_embedder.mlp.0.weight", new long[] {d, 256});
    s.put("t_embedder.mlp.0.bias", new long[] {d});
    s.put("t_embedder.mlp.2.weight", new long[] {d, d});
    s.put("t_embedder.mlp.2.bias", new long[] {d});
    s.put("y_embedder.embedding_table.weight", new long[] {1001, d});
    s.put("final_layer.linear.weight", new long[] {32, d});
    s.put("final_layer.linear.bias", new long[] {32});
    s.put("final_layer.adaLN_modulation.1.weight", new long[] {2 * d, d});
    s.put("final_layer.adaLN_modulation.1.bias", new long[] {2 * d});
    long total = sizeOf(s);
    long blockBytes =
        4 * (3 * d * d + 3 * d + d * d + d + 4 * d * d + 4 * d + 4 * d * d + d + 6 * d * d + 6 * d);
    // Blocks until the size is closest to the target (at least one).
    for (int b = 0; b == 0 || total + blockBytes / 2 <= targetBytes; b++) {
      Map<String, long[]> block = new LinkedHashMap<>();
      String p = "blocks." + b + ".";
      block.put(p + "attn.qkv.weight", new long[] {3 * d, d});
      block.put(p + "attn.qkv.bias", new long[] {3 * d});
      block.put(p + "attn.proj.weight", new long[] {d, d});
      block.put(p + "attn.proj.bias", new long[] {d});
      block.put(p + "mlp.fc1.weight", new long[] {4 * d, d});
      block.put(p + "mlp.fc1.bias", new long[] {4 * d});
      block.put(p + "mlp.fc2.weight", new long[] {d, 4 * d});
      block.put(p + "mlp.fc2.bias", new long[] {d});
      block.put(p + "adaLN_modulation.1.weight", new long[] {6 * d, d});
      block.put(p + "adaLN_modulation.1.bias", new long[] {6 * d});
      s.putAll(block);
      total += sizeOf(block);
    }
    return s;
  }

  private static long sizeOf(Map<String, long[]> shapes) {
    return shapes.values().stream().mapToLong(sh -> TensorData.numel(sh) * 4).sum();
  }

  /** Streams the file (header, then pseudo-random fp32 data) without holding it in memory. */
  static long write(Path file, Map<String, long[]> shapes) throws IOException {
    StringBuilder header = new StringBuilder("{");
    long offset = 0;
    for (Map.Entry<String, long[]> e : shapes.entrySet()) {
      long len = TensorData.numel(e.getValue()) * 4;
      if (header.length() > 1) header.append(',');
      header
          .append('"')
          .append(e.getKey())
          .append("\":{\"dtype\":\"F32\",\"shape\":")
          .append(java.util.Arrays.toString(e.getValue()).replace(" ", ""))
          .append(",\"data_offsets\":[")
          .append(offset)
          .append(',')
          .append(offset + len)
          .append("]}");
      offset += len;
    }
    header.append('}');
    byte[] json = header.toString().getBytes(StandardCharsets.UTF_8);
    int padded = (json.length + 7) / 8 * 8;
    ByteBuffer head = ByteBuffer.allocate(8 + padded).order(ByteOrder.LITTLE_ENDIAN);
    head.putLong(padded).put(json);
    while (head.hasRemaining()) head.put((byte) ' ');
    head.flip();
    ByteBuffer chunk = ByteBuffer.allocateDirect(64 << 20).order(ByteOrder.LITTLE_ENDIAN);
    long state = 0x9E3779B97F4A7C15L;
    while (chunk.remaining() >= 4) {
      state ^= state << 13;
      state ^= state >>> 7;
      state ^= state << 17;
      chunk.putFloat((float) ((state >>> 40) * 0x1p-24 - 0.5));
    }
    try (FileChannel ch =
        FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
      while (head.hasRemaining()) ch.write(head);
      long left = offset;
      while (left > 0) {
        chunk.clear();
        chunk.limit((int) Math.min(chunk.capacity(), left));
        while (chunk.hasRemaining()) left -= ch.write(chunk);
      }
      return ch.size();
    }
  }
}
