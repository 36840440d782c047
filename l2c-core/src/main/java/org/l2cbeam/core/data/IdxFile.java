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

/**
 * An IDX file (the (Fashion-)MNIST format), raw or gzip-compressed (detected from the first bytes): a big-endian
 * header {@code 0, 0, type, ndims}, the dimensions as u32, then the data. Only unsigned-byte data (type 0x08) is
 * used by MNIST-like sets, and only it is accepted.
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
    if (!Files.isRegularFile(path)) {
      throw new CheckpointFormatException(path, "no such IDX file");
    }
    try (InputStream raw = new BufferedInputStream(Files.newInputStream(path), 1 << 16)) {
      raw.mark(2);
      int b0 = raw.read();
      int b1 = raw.read();
      raw.reset();
      InputStream in = (b0 == 0x1f && b1 == 0x8b) ? new GZIPInputStream(raw, 1 << 16) : raw;
      DataInputStream d = new DataInputStream(in);
      int zero = d.readUnsignedShort();
      int type = d.readUnsignedByte();
      int ndims = d.readUnsignedByte();
      if (zero != 0 || ndims == 0 || ndims > 4) {
        throw new CheckpointFormatException(path, "not an IDX file (bad magic)");
      }
      if (type != UNSIGNED_BYTE) {
        throw new CheckpointFormatException(
            path, String.format("unsupported IDX element type 0x%02X (only unsigned bytes, 0x08)", type));
      }
      int[] dims = new int[ndims];
      long n = 1;
      for (int i = 0; i < ndims; i++) {
        dims[i] = d.readInt();
        if (dims[i] < 0) throw new CheckpointFormatException(path, "negative IDX dimension " + dims[i]);
        n *= dims[i];
      }
      if (n > Integer.MAX_VALUE - 16) {
        throw new CheckpointFormatException(path, "IDX data too large: " + Arrays.toString(dims));
      }
      byte[] data = new byte[(int) n];
      try {
        d.readFully(data);
      } catch (EOFException e) {
        throw new CheckpointFormatException(
            path, "IDX data truncated: shape " + Arrays.toString(dims) + " needs " + n + " bytes", e);
      }
      return new IdxFile(path, dims, data);
    } catch (ZipException e) {
      throw new CheckpointFormatException(path, "corrupt gzip stream: " + e.getMessage(), e);
    } catch (EOFException e) {
      throw new CheckpointFormatException(path, "IDX header truncated", e);
    } catch (IOException e) {
      throw new CheckpointFormatException(path, "cannot read: " + e.getMessage(), e);
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
