package org.l2cbeam.core.io;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Arrays;
import java.util.Map;
import java.util.zip.CRC32;
import java.util.zip.Deflater;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

/**
 * Writes {@code .npz} archives that {@code np.load} and ADM's evaluator read. Whole archives are
 * written atomically (temporary name, then rename), so a failure never leaves a partial file under
 * the target name.
 */
public final class NpzWriter {
  /** A fixed entry time (the zip epoch), so an archive's bytes depend only on its arrays. */
  private static final java.time.LocalDateTime REPRODUCIBLE_TIME =
      java.time.LocalDateTime.of(1980, 1, 1, 0, 0);

  private NpzWriter() {}

  /** Writes the arrays as stored (uncompressed) entries, exactly like {@code np.savez}. */
  public static void write(Path target, Map<String, TensorData> arrays) throws IOException {
    AtomicFile.write(target, raw -> write(raw, arrays));
  }

  /**
   * Writes the archive to {@code raw} (not closed), e.g. a temporary file the caller renames into
   * place.
   */
  public static void write(java.io.OutputStream raw, Map<String, TensorData> arrays)
      throws IOException {
    ZipOutputStream zip = new ZipOutputStream(new BufferedOutputStream(raw, 1 << 16));
    for (Map.Entry<String, TensorData> e : arrays.entrySet()) {
      TensorData t = e.getValue();
      byte[] header =
          new NpyHeader(t.dtype(), java.nio.ByteOrder.LITTLE_ENDIAN, false, t.shape()).encode();
      ByteBuffer data = t.bytes();
      byte[] bytes = new byte[data.remaining()];
      data.get(bytes);
      CRC32 crc = new CRC32();
      crc.update(header);
      crc.update(bytes);
      ZipEntry entry = new ZipEntry(e.getKey() + ".npy");
      entry.setTimeLocal(
          REPRODUCIBLE_TIME); // same arrays, same file bytes (idempotent pipeline outputs)
      entry.setMethod(ZipEntry.STORED);
      entry.setSize(header.length + (long) bytes.length);
      entry.setCompressedSize(header.length + (long) bytes.length);
      entry.setCrc(crc.getValue());
      zip.putNextEntry(entry);
      zip.write(header);
      zip.write(bytes);
      zip.closeEntry();
    }
    zip.finish();
    zip.flush();
  }

  /**
   * Starts a single-array archive whose data is streamed in order, for sample batches too large to
   * hold in memory (e.g. 50 000 images as {@code arr_0}). The entry is deflated at the fastest
   * level; {@link StreamingArray#commit()} checks the byte count and renames the file into place.
   */
  public static StreamingArray stream(Path target, String name, DType dtype, long[] shape)
      throws IOException {
    return new StreamingArray(
        target, name, new NpyHeader(dtype, java.nio.ByteOrder.LITTLE_ENDIAN, false, shape));
  }

  /** One array being written; close without commit deletes the partial file. */
  public static final class StreamingArray implements AutoCloseable {
    private final Path target;
    private final Path tmp;
    private final NpyHeader header;
    private final ZipOutputStream zip;
    private long written;
    private boolean committed;

    private StreamingArray(Path target, String name, NpyHeader header) throws IOException {
      this.target = target;
      this.header = header;
      Path dir = target.toAbsolutePath().getParent();
      Files.createDirectories(dir);
      this.tmp = Files.createTempFile(dir, "." + target.getFileName() + ".", ".partial");
      OutputStream raw = new BufferedOutputStream(Files.newOutputStream(tmp), 1 << 16);
      this.zip = new ZipOutputStream(raw);
      zip.setLevel(Deflater.BEST_SPEED);
      ZipEntry entry = new ZipEntry(name + ".npy");
      entry.setTimeLocal(REPRODUCIBLE_TIME);
      zip.putNextEntry(entry);
      zip.write(header.encode());
    }

    public void write(byte[] data, int offset, int length) throws IOException {
      if (written + length > header.dataBytes()) {
        throw new IOException(
            target
                + ": more data than the declared shape "
                + Arrays.toString(header.shape())
                + " holds");
      }
      zip.write(data, offset, length);
      written += length;
    }

    public void write(byte[] data) throws IOException {
      write(data, 0, data.length);
    }

    public void commit() throws IOException {
      if (written != header.dataBytes()) {
        throw new IOException(
            target
                + ": wrote "
                + written
                + " bytes, the declared shape "
                + Arrays.toString(header.shape())
                + " needs "
                + header.dataBytes());
      }
      zip.closeEntry();
      zip.close();
      try {
        Files.move(
            tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
      } catch (java.nio.file.AtomicMoveNotSupportedException e) {
        Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
      }
      committed = true;
    }

    @Override
    public void close() throws IOException {
      if (!committed) {
        try {
          zip.close();
        } catch (IOException ignored) {
          // the partial file is deleted below either way
        }
        Files.deleteIfExists(tmp);
      }
    }
  }
}
