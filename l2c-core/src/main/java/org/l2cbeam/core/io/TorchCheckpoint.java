package org.l2cbeam.core.io;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Enumeration;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.zip.CRC32;
import java.util.zip.ZipEntry;
import java.util.zip.ZipException;
import java.util.zip.ZipFile;
import org.l2cbeam.core.io.RestrictedUnpickler.PickleException;
import org.l2cbeam.core.io.RestrictedUnpickler.PyObject;

/**
 * Reads {@code torch.save} zip checkpoints (PyTorch >= 1.6) without Python.
 *
 * <p>The archive holds {@code <prefix>/data.pkl} (the object graph, a pickle) and {@code
 * <prefix>/data/<key>} (raw little-endian storages); the prefix is whatever directory name torch
 * chose ({@code archive/}, {@code 0020000/}, {@code nnet/}, ...). {@code data.pkl} is run through
 * {@link RestrictedUnpickler} with the {@link TorchPickleGlobals} allow-list, so a checkpoint can
 * only describe data, never run code.
 *
 * <p>Storages are memory-mapped straight from the file when stored uncompressed (as torch writes
 * them), so a contiguous tensor costs no heap; strided views are gathered into a contiguous copy.
 *
 * <p>Nested containers are flattened with dots, as PyTorch names state-dict entries: {@code {"ema":
 * {"blocks.0.w": t}}} gives tensor {@code ema.blocks.0.w}. A sub-tree without tensors (an argparse
 * {@code args}, optimizer hyper-parameters, a step counter) becomes one metadata entry under its
 * dotted path, as plain Java values (Map/List/String/Long/Double/Boolean/null).
 */
public final class TorchCheckpoint {
  private static final int MAX_DEPTH = 64;

  /**
   * Real {@code data.pkl} records are kilobytes (DiT-XL/2 with its optimizer state: about 100 KB);
   * a larger one is not a state dict's, and the pickle is held in memory while it runs.
   */
  static final long MAX_PICKLE_BYTES = 16L << 20;

  /** Records are read into one Java array when they cannot be memory-mapped. */
  private static final long MAX_RECORD_BYTES = Integer.MAX_VALUE - 8;

  private TorchCheckpoint() {}

  /** Flattened tensors (dotted names) and non-tensor metadata. */
  public static final class Contents {
    public final Map<String, TensorData> tensors;
    public final Map<String, Object> metadata;

    public Contents(Map<String, TensorData> tensors, Map<String, Object> metadata) {
      this.tensors = tensors;
      this.metadata = metadata;
    }
  }

  /** The globals a checkpoint may reference; anything else is refused by name. */
  public static Set<String> allowedGlobals() {
    return TorchPickleGlobals.allowList();
  }

  public static Contents read(Path file) {
    return read(file, false);
  }

  /**
   * As {@link #read(Path)}; with {@code verifyAll}, the CRC-32 of every memory-mapped (stored)
   * storage is checked too, which reads every byte of the file ({@code l2c inspect} does). Deflated
   * records are always checked, as they are inflated.
   */
  public static Contents read(Path file, boolean verifyAll) {
    Flattener f = new Flattener(file);
    f.flatten("", readObject(file, verifyAll), 0);
    return new Contents(f.tensors, f.metadata);
  }

  /** The unpickled object graph of {@code data.pkl}, with tensors as {@link TensorData}. */
  public static Object readObject(Path file) {
    return readObject(file, false);
  }

  private static Object readObject(Path file, boolean verifyAll) {
    ZipFile zip;
    try {
      zip = new ZipFile(file.toFile());
    } catch (ZipException e) {
      throw new CheckpointFormatException(
          file, "not a readable torch.save zip (truncated or corrupt: " + e.getMessage() + ")", e);
    } catch (IOException e) {
      throw new CheckpointFormatException(file, InputFile.readProblem(e), e);
    }
    try (zip;
        FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
      String prefix = findPrefix(file, zip);
      ZipEntry byteorder = zip.getEntry(prefix + "byteorder");
      if (byteorder != null) {
        String order =
            new String(
                    readEntry(file, byteorder.getName(), zip, byteorder, 64),
                    StandardCharsets.US_ASCII)
                .trim();
        if (!order.equals("little")) {
          throw new CheckpointFormatException(
              file, "byteorder '" + order + "' is not supported (only little)");
        }
      }
      ZipEntry pickleEntry = zip.getEntry(prefix + "data.pkl");
      byte[] pickle = readEntry(file, pickleEntry.getName(), zip, pickleEntry, MAX_PICKLE_BYTES);
      Map<String, StoredZipRecords.Record> stored = StoredZipRecords.index(channel);
      TorchPickleGlobals globals =
          new TorchPickleGlobals(
              (key, expectedBytes, description) -> {
                String name = prefix + "data/" + key;
                ZipEntry e = zip.getEntry(name);
                if (e == null) {
                  throw new PickleException(
                      "storage '" + name + "' referenced by data.pkl is missing from the zip");
                }
                // The declared size is checked before a byte is read or inflated: a record cannot
                // make us read more
                // than data.pkl says the tensor needs.
                if (e.getSize() != expectedBytes) {
                  throw new PickleException(
                      "storage data/"
                          + key
                          + " holds "
                          + Long.toUnsignedString(e.getSize())
                          + " bytes, but data.pkl"
                          + " declares "
                          + description
                          + " = "
                          + expectedBytes
                          + " bytes");
                }
                StoredZipRecords.Record r = stored.get(name);
                if (r != null && r.size == e.getSize()) {
                  // torch stores storages uncompressed: no heap copy
                  ByteBuffer mapped = map(file, channel, name, r);
                  if (verifyAll) checkCrc(file, name, e, crc32(mapped));
                  return mapped;
                }
                return ByteBuffer.wrap(readEntry(file, name, zip, e, MAX_RECORD_BYTES));
              });
      try {
        return RestrictedUnpickler.load(pickle, globals);
      } catch (PickleException e) {
        throw new CheckpointFormatException(file, prefix + "data.pkl: " + e.getMessage(), e);
      } catch (CheckpointFormatException e) {
        throw e;
      } catch (RuntimeException e) {
        // e.g. an arithmetic overflow from absurd sizes: still an error about this file, never a
        // bare exception
        throw new CheckpointFormatException(
            file, prefix + "data.pkl: malformed (" + e.getMessage() + ")", e);
      }
    } catch (IOException e) {
      throw new CheckpointFormatException(file, InputFile.readProblem(e), e);
    }
  }

  private static ByteBuffer map(
      Path file, FileChannel channel, String name, StoredZipRecords.Record r) {
    if (r.size > Integer.MAX_VALUE) {
      throw new CheckpointFormatException(
          file,
          "zip record " + name + " is " + r.size + " bytes; storages over 2 GiB are not supported");
    }
    if (r.size == 0) {
      return ByteBuffer.allocate(0);
    }
    try {
      return channel.map(FileChannel.MapMode.READ_ONLY, r.offset, r.size);
    } catch (IOException e) {
      throw new CheckpointFormatException(
          file, "cannot map zip record " + name + ": " + e.getMessage(), e);
    }
  }

  /** The directory all records live under, found from the single {@code data.pkl}. */
  private static String findPrefix(Path file, ZipFile zip) {
    List<String> candidates = new ArrayList<>();
    boolean npy = false;
    Enumeration<? extends ZipEntry> entries = zip.entries();
    while (entries.hasMoreElements()) {
      String name = entries.nextElement().getName();
      if (name.equals("data.pkl")
          || (name.endsWith("/data.pkl") && name.indexOf('/') == name.length() - 9)) {
        candidates.add(name.substring(0, name.length() - "data.pkl".length()));
      }
      npy |= name.endsWith(".npy");
    }
    if (candidates.isEmpty()) {
      throw new CheckpointFormatException(
          file,
          "zip archive has no data.pkl: not a torch.save checkpoint ("
              + (npy
                  ? "it holds .npy arrays: a NumPy .npz archive"
                  : "TorchScript archives and plain zips are not" + " state dicts")
              + ")");
    }
    if (candidates.size() > 1) {
      throw new CheckpointFormatException(
          file, "zip archive has several data.pkl records: " + candidates);
    }
    return candidates.get(0);
  }

  /**
   * The bytes of one record, never more than its declared size (a deflated stream that inflates
   * past it is refused, so a few KB cannot expand to gigabytes) nor more than {@code limit}; the
   * CRC-32 of what was read must match the zip's, so a flipped byte is an error rather than a
   * silently different tensor.
   */
  private static byte[] readEntry(Path file, String name, ZipFile zip, ZipEntry entry, long limit) {
    long size = entry.getSize();
    if (size < 0) {
      throw new CheckpointFormatException(
          file, "zip record " + name + " does not declare its size");
    }
    if (size > limit) {
      throw new CheckpointFormatException(
          file,
          "zip record "
              + name
              + " declares "
              + size
              + " bytes, over the "
              + limit
              + "-byte limit for "
              + (limit == MAX_PICKLE_BYTES
                  ? "data.pkl (a pickle that large is not a state dict's)"
                  : "a record"));
    }
    byte[] b;
    try {
      b = new byte[(int) size];
    } catch (OutOfMemoryError e) {
      throw new CheckpointFormatException(
          file,
          "zip record "
              + name
              + " is deflated and needs "
              + size
              + " bytes of heap, more than this JVM has"
              + " (max heap "
              + (Runtime.getRuntime().maxMemory() >> 20)
              + " MiB): raise -Xmx, or re-save the"
              + " checkpoint with torch.save, whose uncompressed records are memory-mapped instead");
    }
    try (InputStream in = zip.getInputStream(entry)) {
      int n = in.readNBytes(b, 0, b.length);
      if (n != size) {
        throw new CheckpointFormatException(
            file, "zip record " + name + " is truncated: " + n + " of " + size + " bytes");
      }
      if (in.read() >= 0) {
        throw new CheckpointFormatException(
            file,
            "zip record "
                + name
                + " inflates to more than the "
                + size
                + " bytes it declares (a decompression"
                + " bomb or a corrupt archive); refusing to read further");
      }
    } catch (IOException e) {
      throw new CheckpointFormatException(
          file,
          "zip record " + name + " cannot be read (truncated or corrupt: " + e.getMessage() + ")",
          e);
    }
    CRC32 crc = new CRC32();
    crc.update(b);
    checkCrc(file, name, entry, crc.getValue());
    return b;
  }

  private static long crc32(ByteBuffer bytes) {
    CRC32 crc = new CRC32();
    crc.update(bytes.duplicate());
    return crc.getValue();
  }

  private static void checkCrc(Path file, String name, ZipEntry entry, long actual) {
    if (entry.getCrc() != -1 && entry.getCrc() != actual) {
      throw new CheckpointFormatException(
          file,
          String.format(
              "zip record %s is corrupt: its CRC-32 is %08x, the zip says %08x",
              name, actual, entry.getCrc()));
    }
  }

  /**
   * Walks the unpickled graph once. Pickle's memo lets a few bytes describe a graph whose tree
   * expansion is huge or cyclic, so depth and the number of visited nodes are capped: a hostile
   * file gets an error, not an endless walk.
   */
  private static final class Flattener {
    private static final long MAX_NODES = 10_000_000;

    final Path file;
    final Map<String, TensorData> tensors = new LinkedHashMap<>();
    final Map<String, Object> metadata = new LinkedHashMap<>();
    long nodesLeft = MAX_NODES;

    Flattener(Path file) {
      this.file = file;
    }

    void flatten(String name, Object value, int depth) {
      visit(name, depth);
      if (value instanceof TensorData) {
        tensors.put(name.isEmpty() ? "tensor" : name, (TensorData) value);
        return;
      }
      if (!containsTensor(value, Collections.newSetFromMap(new IdentityHashMap<>()), name, depth)) {
        metadata.put(name.isEmpty() ? "value" : name, toPlain(value, name, depth));
        return;
      }
      for (Map.Entry<String, Object> child : children(value).entrySet()) {
        String childName = name.isEmpty() ? child.getKey() : name + "." + child.getKey();
        if (tensors.containsKey(childName) || metadata.containsKey(childName)) {
          throw new CheckpointFormatException(
              file, "two entries flatten to the same name '" + childName + "'");
        }
        flatten(childName, child.getValue(), depth + 1);
      }
    }

    private void visit(String name, int depth) {
      if (depth > MAX_DEPTH) {
        throw new CheckpointFormatException(
            file,
            "containers nested deeper than "
                + MAX_DEPTH
                + " levels at '"
                + name
                + "' (recursive?)");
      }
      if (--nodesLeft < 0) {
        throw new CheckpointFormatException(
            file,
            "object graph too large: over "
                + MAX_NODES
                + " nodes when expanded (shared sub-objects repeated?)");
      }
    }

    private boolean containsTensor(Object value, Set<Object> seen, String name, int depth) {
      if (value instanceof TensorData) return true;
      if (!(value instanceof Map || value instanceof List || value instanceof PyObject)
          || !seen.add(value)) {
        return false;
      }
      visit(name, depth);
      for (Object child : children(value).values()) {
        if (containsTensor(child, seen, name, depth + 1)) return true;
      }
      return false;
    }

    /** Pickled data as plain Java values (tuples and sets as lists, objects as attribute maps). */
    private Object toPlain(Object value, String name, int depth) {
      visit(name, depth);
      if (value instanceof Map || value instanceof PyObject) {
        Map<String, Object> out = new LinkedHashMap<>();
        children(value).forEach((k, v) -> out.put(k, toPlain(v, name, depth + 1)));
        return out;
      }
      if (value instanceof List) {
        List<Object> out = new ArrayList<>();
        for (Object v : (List<?>) value) out.add(toPlain(v, name, depth + 1));
        return out;
      }
      if (value instanceof byte[]) {
        return new String((byte[]) value, StandardCharsets.ISO_8859_1);
      }
      if (value == null
          || value instanceof String
          || value instanceof Number
          || value instanceof Boolean) {
        return value;
      }
      if (value instanceof RestrictedUnpickler.Named) {
        return ((RestrictedUnpickler.Named) value).qualifiedName();
      }
      return String.valueOf(value);
    }
  }

  private static Map<String, Object> children(Object value) {
    Map<String, Object> out = new LinkedHashMap<>();
    if (value instanceof Map) {
      ((Map<?, ?>) value).forEach((k, v) -> out.put(String.valueOf(k), v));
    } else if (value instanceof PyObject) {
      out.putAll(((PyObject) value).attributes);
    } else if (value instanceof List) {
      List<?> l = (List<?>) value;
      for (int i = 0; i < l.size(); i++) out.put(Integer.toString(i), l.get(i));
    }
    return out;
  }
}
