package org.l2cbeam.core.io;

import java.io.BufferedInputStream;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Enumeration;
import java.util.List;
import java.util.zip.ZipEntry;
import java.util.zip.ZipException;
import java.util.zip.ZipFile;

/**
 * A NumPy {@code .npz} archive (what {@code np.savez} and {@code np.savez_compressed} write): a zip
 * of {@code .npy} arrays, stored or deflated, zip64 included. Small arrays are read whole as {@link
 * TensorData} (C order, little-endian, whatever the file used); large ones, such as ADM's 10
 * 000-image reference batch, are streamed. Every error names the file and the array.
 */
public final class NpzFile implements Closeable {
  private final Path path;
  private final ZipFile zip;

  private NpzFile(Path path, ZipFile zip) {
    this.path = path;
    this.zip = zip;
  }

  public static NpzFile open(Path path) {
    InputFile.checkReadable(path);
    FileFormat format = FileFormat.detect(path);
    if (format != FileFormat.TORCH_ZIP && format != FileFormat.UNKNOWN) {
      throw new CheckpointFormatException(
          path, "not a readable .npz (zip) archive: " + format.whatItIs(path));
    }
    try {
      return new NpzFile(path, new ZipFile(path.toFile()));
    } catch (ZipException e) {
      throw new CheckpointFormatException(
          path, "not a readable .npz (zip) archive: " + e.getMessage(), e);
    } catch (IOException e) {
      throw new CheckpointFormatException(path, InputFile.readProblem(e), e);
    }
  }

  public Path path() {
    return path;
  }

  /**
   * Array names in archive order, without the {@code .npy} suffix (as {@code np.load(f).files}).
   */
  public List<String> names() {
    List<String> names = new ArrayList<>();
    Enumeration<? extends ZipEntry> entries = zip.entries();
    while (entries.hasMoreElements()) {
      String n = entries.nextElement().getName();
      names.add(n.endsWith(".npy") ? n.substring(0, n.length() - 4) : n);
    }
    return Collections.unmodifiableList(names);
  }

  public boolean contains(String name) {
    return zip.getEntry(name + ".npy") != null || zip.getEntry(name) != null;
  }

  public NpyHeader header(String name) {
    try (ArrayStream s = openArray(name)) {
      return s.header();
    }
  }

  /**
   * An array's header and a stream positioned at its first data byte, for arrays too large to hold
   * at once.
   */
  public ArrayStream openArray(String name) {
    ZipEntry entry = zip.getEntry(name + ".npy");
    if (entry == null) entry = zip.getEntry(name);
    if (entry == null) {
      throw new CheckpointFormatException(
          path, "no array '" + name + "' (arrays: " + names() + ")");
    }
    InputStream in = null;
    try {
      in = new BufferedInputStream(zip.getInputStream(entry), 1 << 16);
      NpyHeader header = NpyHeader.read(in, path.getFileName() + ": " + entry.getName());
      return new ArrayStream(name, header, in, entry.getSize());
    } catch (IOException e) {
      closeQuietly(in);
      throw new CheckpointFormatException(path, "array '" + name + "': " + e.getMessage(), e);
    }
  }

  /**
   * Reads a whole array as C-order little-endian data; Fortran-order arrays are transposed into C
   * order.
   */
  public TensorData read(String name) {
    try (ArrayStream s = openArray(name)) {
      NpyHeader h = s.header();
      long n = h.dataBytes();
      if (s.entrySize >= 0 && n > s.entrySize) {
        // Checked before reading: the zip entry (whatever it inflates to) cannot hold what the
        // header declares.
        throw new CheckpointFormatException(
            path,
            "array '"
                + name
                + "' "
                + h
                + " declares "
                + n
                + " data bytes, but its .npz entry holds "
                + s.entrySize
                + " bytes");
      }
      if (n > Integer.MAX_VALUE - 16) {
        throw new CheckpointFormatException(
            path,
            "array '"
                + name
                + "' "
                + h
                + " is too large to read at once; stream it with openArray()");
      }
      byte[] data = s.readBytes((int) n);
      ByteBuffer buf = ByteBuffer.wrap(data).order(h.byteOrder());
      if (h.byteOrder() == ByteOrder.BIG_ENDIAN && h.dtype().bytes() > 1) {
        buf = swapToLittleEndian(data, h.dtype().bytes());
      }
      TensorData t = new TensorData(h.dtype(), h.shape(), buf.order(ByteOrder.LITTLE_ENDIAN));
      return h.fortranOrder() ? FortranOrder.toCOrder(t) : t;
    }
  }

  /** An array as float64 values in C order (float32, float16 and integer arrays are widened). */
  public double[] readDoubles(String name) {
    return read(name).toDoubleArray();
  }

  private static ByteBuffer swapToLittleEndian(byte[] data, int width) {
    byte[] out = new byte[data.length];
    for (int i = 0; i < data.length; i += width) {
      for (int j = 0; j < width; j++) out[i + j] = data[i + width - 1 - j];
    }
    return ByteBuffer.wrap(out);
  }

  @Override
  public void close() {
    try {
      zip.close();
    } catch (IOException e) {
      throw new UncheckedIOException(path + ": cannot close", e);
    }
  }

  private static void closeQuietly(Closeable c) {
    if (c == null) return;
    try {
      c.close();
    } catch (IOException ignored) {
      // already failing with a better message
    }
  }

  /** One array of the archive, read sequentially. */
  public final class ArrayStream implements Closeable {
    private final String name;
    private final NpyHeader header;
    private final InputStream in;
    private final long entrySize;
    private long consumed;

    private ArrayStream(String name, NpyHeader header, InputStream in, long entrySize) {
      this.name = name;
      this.header = header;
      this.in = in;
      this.entrySize = entrySize;
    }

    public NpyHeader header() {
      return header;
    }

    /**
     * Reads exactly {@code n} further data bytes; the error names the file and array if the entry
     * ends early.
     */
    public byte[] readBytes(int n) {
      try {
        byte[] b = in.readNBytes(n);
        consumed += b.length;
        if (b.length < n) {
          throw new CheckpointFormatException(
              path,
              "array '"
                  + name
                  + "' is truncated: "
                  + header
                  + " needs "
                  + header.dataBytes()
                  + " data bytes, the entry ends after "
                  + consumed);
        }
        return b;
      } catch (ZipException e) {
        throw new CheckpointFormatException(
            path, "array '" + name + "' is corrupt: " + e.getMessage(), e);
      } catch (IOException e) {
        throw new CheckpointFormatException(path, "array '" + name + "': " + e.getMessage(), e);
      }
    }

    @Override
    public void close() {
      try {
        in.close();
      } catch (IOException e) {
        throw new UncheckedIOException(path + ": cannot close array '" + name + "'", e);
      }
    }
  }
}
