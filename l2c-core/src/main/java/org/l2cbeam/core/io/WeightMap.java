package org.l2cbeam.core.io;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
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
 * Named tensors from one checkpoint, whatever its format (safetensors or a torch.save zip). Nested containers are
 * flattened with dots, as PyTorch names state-dict entries: a DiT training checkpoint yields {@code ema.blocks.0...}
 * and {@code model.blocks.0...}; {@link #withPrefix} unwraps one of them.
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
    if (!Files.isRegularFile(file)) {
      throw new CheckpointFormatException(file, "no such file");
    }
    byte[] magic = new byte[8];
    int n;
    try (InputStream in = Files.newInputStream(file)) {
      n = in.readNBytes(magic, 0, magic.length);
    } catch (IOException e) {
      throw new CheckpointFormatException(file, "cannot read: " + e.getMessage(), e);
    }
    if (n >= 4 && magic[0] == 'P' && magic[1] == 'K') {
      TorchCheckpoint.Contents c = TorchCheckpoint.read(file);
      return new WeightMap(file, c.tensors, c.metadata);
    }
    if (n >= 2 && (magic[0] & 0xff) == 0x80 && magic[1] >= 2 && magic[1] <= 5) {
      throw new CheckpointFormatException(
          file, "unsupported legacy format: a pre-zip torch.save pickle; re-save it with PyTorch >= 1.6");
    }
    SafetensorsFile.Contents c = SafetensorsFile.read(file);
    return new WeightMap(file, c.tensors, new LinkedHashMap<>(c.metadata));
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

  /** Container metadata, e.g. a training checkpoint's {@code args} or safetensors {@code __metadata__}. */
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
   * {@code load_state_dict(strict=True)}: every expected key present with its shape, and nothing else. All
   * problems are listed in one error.
   */
  public void checkStrict(Map<String, long[]> expected) {
    List<String> missing = new ArrayList<>();
    List<String> misShaped = new ArrayList<>();
    for (Map.Entry<String, long[]> e : expected.entrySet()) {
      TensorData t = tensors.get(e.getKey());
      if (t == null) {
        missing.add(e.getKey());
      } else if (!Arrays.equals(t.shape(), e.getValue())) {
        misShaped.add(
            e.getKey() + " (checkpoint " + Arrays.toString(t.shape()) + ", model " + Arrays.toString(e.getValue())
                + ")");
      }
    }
    List<String> unexpected = new ArrayList<>(new TreeSet<>(tensors.keySet()));
    unexpected.removeAll(expected.keySet());
    if (missing.isEmpty() && misShaped.isEmpty() && unexpected.isEmpty()) {
      return;
    }
    StringBuilder sb = new StringBuilder("state dict does not match the model:");
    if (!missing.isEmpty()) sb.append("\n  missing keys: ").append(missing);
    if (!unexpected.isEmpty()) sb.append("\n  unexpected keys: ").append(unexpected);
    if (!misShaped.isEmpty()) sb.append("\n  wrong shapes: ").append(misShaped);
    throw new CheckpointFormatException(source, sb.toString());
  }

  /**
   * SHA-256 over the sorted tensor names, dtypes, shapes and bytes: the same weights give the same fingerprint
   * whether they come from a {@code .pt} or a {@code .safetensors} file.
   */
  public String fingerprint() {
    String f = fingerprint;
    if (f == null) {
      try {
        MessageDigest md = MessageDigest.getInstance("SHA-256");
        for (String name : new TreeSet<>(tensors.keySet())) {
          TensorData t = tensors.get(name);
          md.update((name + "|" + t.dtype() + "|" + Arrays.toString(t.shape()) + "\n").getBytes(StandardCharsets.UTF_8));
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
