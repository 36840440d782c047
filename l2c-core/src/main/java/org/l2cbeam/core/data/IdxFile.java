package org.l2cbeam.core.data;

import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.zip.GZIPInputStream;
import java.util.zip.ZipException;
import org.l2cbeam.core.io.CheckpointFormatException;
import org.l2cbeam.core.io.InputFile;

/**
 * An IDX file (the (Fashion-)MNIST format), raw or gzip-compressed (detected from the first bytes):
 * a big-endian header {@code 0, 0, type, ndims}, the dimensions as u32, then the data. Only
 * unsigned-byte data (type 0x08) is used by MNIST-like sets, and only it is accepted.
 */
public final class IdxFile {
  private static final int UNSIGNED_BYTE = 0x08;

  private final Path path;
  private final int[] dims;
  private final byte[] data;

  private IdxFile(Path path, int[] dims, byte[] data) {
    this.path = path;
    this.dims = dims;
    this.data = data;
  }

  public static IdxFile read(Path path) {
    InputFile.checkReadable(path);
    try (InputStream raw = new BufferedInputStream(Files.newInputStream(path), 1 << 16)) {
      raw.mark(2);
      int b0 = raw.read();
      int b1 = raw.read();
      raw.reset();
      boolean gzip = b0 == 0x1f && b1 == 0x8b;
      InputStream in = gzip ? new GZIPInputStream(raw, 1 << 16) : raw;
      DataInputStream d = new DataInputStream(in);
      int zero = d.readUnsignedShort();
      int type = d.readUnsignedByte();
      int ndims = d.readUnsignedByte();
      if (zero != 0 || ndims == 0 || ndims > 4) {
        throw new CheckpointFormatException(path, "not an IDX file (bad magic)");
      }
      if (type != UNSIGNED_BYTE) {
        throw new CheckpointFormatException(
            path,
            String.format("unsupported IDX element type 0x%02X (only unsigned bytes, 0x08)", type));
      }
      int[] dims = new int[ndims];
      long n = 1;
      for (int i = 0; i < ndims; i++) {
        long dim = d.readInt() & 0xffffffffL; // IDX dimensions are unsigned 32-bit
        if (dim > Integer.MAX_VALUE)
          throw new CheckpointFormatException(path, "IDX dimension " + dim + " is too large");
        dims[i] = (int) dim;
        n = Math.multiplyExact(n, dim);
        if (n > Integer.MAX_VALUE - 16) {
          throw new CheckpointFormatException(
              path, "IDX data too large: dimensions " + Arrays.toString(dims));
        }
      }
      // Deflate expands at most ~1032:1, so a header declaring more than that is not this file's
      // data (a bomb or a
      // corrupt header): refused before the buffer is allocated.
      long fileSize = Files.size(path);
      long most = gzip ? fileSize * 1100 : fileSize;
      if (n > most) {
        throw new CheckpointFormatException(
            path,
            gzip
                ? "IDX header declares "
                    + n
                    + " data bytes (shape "
                    + Arrays.toString(dims)
                    + "), more than this "
                    + fileSize
                    + "-byte gzip file can hold (corrupt, or a decompression bomb)"
                : "IDX data truncated: shape "
                    + Arrays.toString(dims)
                    + " needs "
                    + n
                    + " bytes, the file has "
                    + fileSize);
      }
      byte[] data = new byte[(int) n];
      try {
        d.readFully(data);
      } catch (EOFException e) {
        throw new CheckpointFormatException(
            path,
            "IDX data truncated: shape " + Arrays.toString(dims) + " needs " + n + " bytes",
            e);
      }
      return new IdxFile(path, dims, data);
    } catch (ZipException e) {
      throw new CheckpointFormatException(path, "corrupt gzip stream: " + e.getMessage(), e);
    } catch (EOFException e) {
      throw new CheckpointFormatException(path, "IDX header truncated", e);
    } catch (IOException e) {
      throw new CheckpointFormatException(path, InputFile.readProblem(e), e);
    }
  }

  public Path path() {
    return path;
  }

  public int[] dims() {
    return dims.clone();
  }

  /** The data bytes in row-major order (not copied). */
  public byte[] data() {
    return data;
  }
}
