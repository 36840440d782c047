package org.l2cbeam.core.vae;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.l2cbeam.core.io.CheckpointFormatException;
import org.l2cbeam.core.io.TensorData;
import org.l2cbeam.core.io.WeightMap;

/**
 * VAE weights from a checkpoint in either layout, normalised to the LDM names and shapes: unwrap
 * {@code state_dict}, strip {@code first_stage_model.} / {@code vae.}, keep only the autoencoder's
 * tensors, detect the layout, rename, reshape the attention projections by rank, infer the
 * configuration, then load strictly (every expected key with its shape and nothing else), reporting
 * problems in the file's own names.
 */
public final class VaeCheckpoint implements VaeParameters {
  private static final Pattern DIFFUSERS_LEVEL =
      Pattern.compile("(?:encoder\\.down|decoder\\.up)_blocks\\.(\\d+)\\..*");
  private static final List<String> MODEL_PARTS =
      List.of("encoder.", "decoder.", "quant_conv.", "post_quant_conv.");

  private final Path source;
  private final VaeWeightLayout layout;
  private final VaeConfig config;
  private final Map<String, TensorData> ldmTensors;

  private VaeCheckpoint(
      Path source, VaeWeightLayout layout, VaeConfig config, Map<String, TensorData> ldmTensors) {
    this.source = source;
    this.layout = layout;
    this.config = config;
    this.ldmTensors = Collections.unmodifiableMap(ldmTensors);
  }

  /** Reads a {@code .safetensors} or torch.save ({@code .pt/.pth/.bin/.ckpt}) VAE checkpoint. */
  public static VaeCheckpoint open(Path file) {
    return from(WeightMap.open(file));
  }

  public static VaeCheckpoint from(WeightMap weights) {
    Path source = weights.source();
    WeightMap w = weights;
    if (w.hasPrefix("state_dict")) w = w.withPrefix("state_dict");
    if (w.hasPrefix("first_stage_model")) {
      w = w.withPrefix("first_stage_model");
    } else if (w.hasPrefix("vae") && !w.hasPrefix("encoder")) {
      w = w.withPrefix("vae");
    }
    // Drop what is not the autoencoder (LDM training checkpoints carry loss.* discriminator
    // weights).
    Map<String, TensorData> kept = new LinkedHashMap<>();
    w.tensors()
        .forEach(
            (k, v) -> {
              if (MODEL_PARTS.stream().anyMatch(k::startsWith)) kept.put(k, v);
            });
    VaeWeightLayout layout = VaeWeightLayout.detect(kept.keySet(), w.names(), source);
    int levels = layout == VaeWeightLayout.DIFFUSERS ? diffusersLevels(kept.keySet()) : 0;

    Map<String, TensorData> ldm = new LinkedHashMap<>();
    Map<String, String> fileNames = new LinkedHashMap<>();
    for (Map.Entry<String, TensorData> e : kept.entrySet()) {
      String key =
          layout == VaeWeightLayout.DIFFUSERS
              ? VaeKeyMapping.toLdm(e.getKey(), levels)
              : e.getKey();
      String previous = fileNames.putIfAbsent(key, e.getKey());
      if (previous != null) {
        throw new CheckpointFormatException(
            source,
            "'"
                + previous
                + "' and '"
                + e.getKey()
                + "' are the same parameter "
                + key
                + " (both present)");
      }
      ldm.put(key, asLdmShape(key, e.getValue()));
    }

    VaeConfig config =
        VaeConfig.infer(
            shapes(ldm),
            key -> fileNames.getOrDefault(key, displayName(key, layout, levels)),
            source);
    checkStrict(source, layout, config, ldm, fileNames);
    return new VaeCheckpoint(source, layout, config, ldm);
  }

  /**
   * Diffusers stores the decoder levels in execution order; the level count is needed to flip them
   * back.
   */
  private static int diffusersLevels(Iterable<String> keys) {
    int max = -1;
    for (String k : keys) {
      Matcher m = DIFFUSERS_LEVEL.matcher(k);
      if (m.matches()) max = Math.max(max, Integer.parseInt(m.group(1)));
    }
    return max + 1;
  }

  /**
   * Diffusers keeps the attention projections as Linear [C,C]; the LDM 1×1 conv is [C,C,1,1]. Same
   * bytes.
   */
  private static TensorData asLdmShape(String ldmKey, TensorData t) {
    long[] s = t.shape();
    if (VaeKeyMapping.isLdmAttentionProjectionWeight(ldmKey) && s.length == 2) {
      return new TensorData(t.dtype(), new long[] {s[0], s[1], 1, 1}, t.bytes());
    }
    return t;
  }

  private static Map<String, long[]> shapes(Map<String, TensorData> tensors) {
    Map<String, long[]> s = new LinkedHashMap<>();
    tensors.forEach((k, v) -> s.put(k, v.shape()));
    return s;
  }

  private static String displayName(String ldmKey, VaeWeightLayout layout, int levels) {
    return layout == VaeWeightLayout.DIFFUSERS
        ? VaeKeyMapping.toDiffusers(ldmKey, levels, false)
        : ldmKey;
  }

  private static void checkStrict(
      Path source,
      VaeWeightLayout layout,
      VaeConfig config,
      Map<String, TensorData> ldm,
      Map<String, String> fileNames) {
    Map<String, long[]> expected = config.ldmShapes();
    List<String> missing = new ArrayList<>();
    List<String> misShaped = new ArrayList<>();
    for (Map.Entry<String, long[]> e : expected.entrySet()) {
      TensorData t = ldm.get(e.getKey());
      if (t == null) {
        missing.add(displayName(e.getKey(), layout, config.levels()));
      } else if (!Arrays.equals(t.shape(), e.getValue())) {
        misShaped.add(
            fileNames.get(e.getKey())
                + " "
                + Arrays.toString(t.shape())
                + ", expected "
                + Arrays.toString(e.getValue()));
      } else if (!t.dtype().widensToFloat32()) {
        misShaped.add(
            fileNames.get(e.getKey()) + " has dtype " + t.dtype() + " (F32, F16 or BF16 expected)");
      }
    }
    List<String> unexpected = new ArrayList<>();
    for (String key : new TreeSet<>(ldm.keySet())) {
      if (!expected.containsKey(key)) unexpected.add(fileNames.get(key));
    }
    if (missing.isEmpty() && misShaped.isEmpty() && unexpected.isEmpty()) return;
    StringBuilder sb =
        new StringBuilder(
            "VAE weights (" + layout + " layout, inferred " + config + ") do not match the model:");
    if (!missing.isEmpty()) sb.append("\n  missing keys: ").append(missing);
    if (!unexpected.isEmpty()) sb.append("\n  unexpected keys: ").append(unexpected);
    if (!misShaped.isEmpty()) sb.append("\n  wrong shapes: ").append(misShaped);
    throw new CheckpointFormatException(source, sb.toString());
  }

  public Path source() {
    return source;
  }

  /** The layout the file was written in. */
  public VaeWeightLayout layout() {
    return layout;
  }

  @Override
  public VaeConfig config() {
    return config;
  }

  /**
   * All parameters under their LDM names, in LDM shapes (the form U-ViT's strict load_state_dict
   * accepts).
   */
  public Map<String, TensorData> ldmTensors() {
    return ldmTensors;
  }

  @Override
  public NDArray load(String ldmKey, NDManager manager) {
    TensorData t = ldmTensors.get(ldmKey);
    if (t == null) {
      throw new CheckpointFormatException(source, "missing tensor '" + ldmKey + "'");
    }
    return t.toNDArray(manager);
  }

  @Override
  public String description() {
    return source.toString();
  }
}
