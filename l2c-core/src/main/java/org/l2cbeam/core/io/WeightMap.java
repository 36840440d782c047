package org.l2cbeam.core.io;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Named tensors from one checkpoint, whatever its format (safetensors or a torch.save zip). Nested
 * containers are flattened with dots, as PyTorch names state-dict entries: a DiT training
 * checkpoint yields {@code ema.blocks.0...} and {@code model.blocks.0...}; {@link #withPrefix}
 * unwraps one of them.
 */
public final class WeightMap {
  private final Path source;
  private final Map<String, TensorData> tensors;
  private final Map<String, Object> metadata;
  private volatile String fingerprint;

  public WeightMap(Path source, Map<String, TensorData> tensors, Map<String, Object> metadata) {
    this.source = source;
    this.tensors = Collections.unmodifiableMap(new LinkedHashMap<>(tensors));
    this.metadata = Collections.unmodifiableMap(new LinkedHashMap<>(metadata));
  }

  /** Opens a checkpoint, detecting its format from the first bytes. */
  public static WeightMap open(Path file) {
    return open(file, false);
  }

  /**
   * As {@link #open}, also verifying the zip CRC-32 of every memory-mapped storage of a {@code .pt}
   * file (deflated records are always verified): reads every byte, so it is for tools that do
   * anyway, like {@code l2c inspect}.
   */
  public static WeightMap openVerified(Path file) {
    return open(file, true);
  }

  private static WeightMap open(Path file, boolean verifyAll) {
    InputFile.checkReadable(file);
    FileFormat format = FileFormat.detect(file);
    switch (format) {
      case TORCH_ZIP:
        {
          TorchCheckpoint.Contents c = TorchCheckpoint.read(file, verifyAll);
          return new WeightMap(file, c.tensors, c.metadata);
        }
      case TORCH_LEGACY:
        throw new CheckpointFormatException(
            file,
            "unsupported legacy format: a pre-zip torch.save pickle; re-save it with PyTorch >= 1.6");
      case SAFETENSORS:
        return safetensors(file);
      default:
        if (format != FileFormat.JSON && file.getFileName().toString().endsWith(".safetensors")) {
          return safetensors(file); // named as one: the reader says what is wrong with its header
        }
        throw new CheckpointFormatException(file, notWeights(file, format));
    }
  }

  private static WeightMap safetensors(Path file) {
    SafetensorsFile.Contents c = SafetensorsFile.read(file);
    return new WeightMap(file, c.tensors, new LinkedHashMap<>(c.metadata));
  }

  /** "not a tensor file: ..." naming what the file is instead. */
  private static String notWeights(Path file, FileFormat format) {
    return "not a tensor file: "
        + format.whatItIs(file)
        + "; expected a torch.save checkpoint (.pt, .pth) or"
        + " .safetensors";
  }

  public Path source() {
    return source;
  }

  /** Tensor names in file order. */
  public Set<String> names() {
    return tensors.keySet();
  }

  public Map<String, TensorData> tensors() {
    return tensors;
  }

  public boolean contains(String name) {
    return tensors.containsKey(name);
  }

  public TensorData get(String name) {
    TensorData t = tensors.get(name);
    if (t == null) {
      throw new CheckpointFormatException(source, "missing tensor '" + name + "'");
    }
    return t;
  }

  public long[] shape(String name) {
    return get(name).shape();
  }

  /**
   * Container metadata, e.g. a training checkpoint's {@code args} or safetensors {@code
   * __metadata__}.
   */
  public Map<String, Object> metadata() {
    return metadata;
  }

  /** True if any tensor name starts with {@code prefix + "."}. */
  public boolean hasPrefix(String prefix) {
    String p = prefix + ".";
    return tensors.keySet().stream().anyMatch(k -> k.startsWith(p));
  }

  /** The tensors under {@code prefix.}, with the prefix removed. */
  public WeightMap withPrefix(String prefix) {
    String p = prefix + ".";
    Map<String, TensorData> sub = new LinkedHashMap<>();
    tensors.forEach(
        (k, v) -> {
          if (k.startsWith(p)) sub.put(k.substring(p.length()), v);
        });
    if (sub.isEmpty()) {
      throw new CheckpointFormatException(source, "no tensors under '" + prefix + "'");
    }
    return new WeightMap(source, sub, metadata);
  }

  /**
   * {@code load_state_dict(strict=True)}: every expected key present with its shape and a dtype the
   * models compute with, and nothing else. All problems are listed in one error.
   */
  public void checkStrict(Map<String, long[]> expected) {
    List<String> missing = new ArrayList<>();
    List<String> misShaped = new ArrayList<>();
    List<String> badDtypes = new ArrayList<>();
    for (Map.Entry<String, long[]> e : expected.entrySet()) {
      TensorData t = tensors.get(e.getKey());
      if (t == null) {
        missing.add(e.getKey());
      } else if (!Arrays.equals(t.shape(), e.getValue())) {
        misShaped.add(
            e.getKey()
                + " (checkpoint "
                + Arrays.toString(t.shape())
                + ", model "
                + Arrays.toString(e.getValue())
                + (isPermutation(t.shape(), e.getValue()) ? ": transposed?" : "")
                + ")");
      } else if (!isModelDtype(e.getKey(), t.dtype())) {
        badDtypes.add(e.getKey() + " is " + t.dtype());
      }
    }
    List<String> unexpected = new ArrayList<>(new TreeSet<>(tensors.keySet()));
    unexpected.removeAll(expected.keySet());
    if (missing.isEmpty() && misShaped.isEmpty() && unexpected.isEmpty() && badDtypes.isEmpty()) {
      return;
    }
    StringBuilder sb = new StringBuilder("state dict does not match the model:");
    if (!missing.isEmpty()) sb.append("\n  missing keys: ").append(firstFew(missing));
    if (!unexpected.isEmpty()) sb.append("\n  unexpected keys: ").append(firstFew(unexpected));
    if (!misShaped.isEmpty()) sb.append("\n  wrong shapes: ").append(firstFew(misShaped));
    if (!badDtypes.isEmpty()) {
      sb.append("\n  wrong dtypes: ")
          .append(firstFew(badDtypes))
          .append(
              " (weights must be F32, F16 or BF16: the models compute in float32, F16/BF16 are widened on load)");
    }
    throw new CheckpointFormatException(source, sb.toString());
  }

  /**
   * Weights the models can use: floating point that becomes float32 on load (F64 would reach
   * libtorch as double and fail inside a matmul). PyTorch's BatchNorm step counter {@code
   * num_batches_tracked} is an integer by design.
   */
  private static boolean isModelDtype(String name, DType dtype) {
    if (name.endsWith(".num_batches_tracked")) return !dtype.isFloating();
    return dtype.widensToFloat32();
  }

  private static boolean isPermutation(long[] a, long[] b) {
    long[] x = a.clone();
    long[] y = b.clone();
    Arrays.sort(x);
    Arrays.sort(y);
    return a.length > 1 && Arrays.equals(x, y);
  }

  /**
   * A list for an error message: all of a short one, the first few of a long one and how many more.
   */
  private static String firstFew(List<String> items) {
    int shown = 8;
    if (items.size() <= shown) return items.toString();
    return items.subList(0, shown).toString() + " and " + (items.size() - shown) + " more";
  }

  /**
   * SHA-256 over the sorted tensor names, dtypes, shapes and bytes: the same weights give the same
   * fingerprint whether they come from a {@code .pt} or a {@code .safetensors} file.
   */
  public String fingerprint() {
    String f = fingerprint;
    if (f == null) {
      try {
        MessageDigest md = MessageDigest.getInstance("SHA-256");
        for (String name : new TreeSet<>(tensors.keySet())) {
          TensorData t = tensors.get(name);
          md.update(
              (name + "|" + t.dtype() + "|" + Arrays.toString(t.shape()) + "\n")
                  .getBytes(StandardCharsets.UTF_8));
          ByteBuffer b = t.bytes();
          md.update(b);
        }
        f = HexFormat.of().formatHex(md.digest());
      } catch (NoSuchAlgorithmException e) {
        throw new IllegalStateException(e);
      }
      fingerprint = f;
    }
    return f;
  }
}
