package org.l2cbeam.core.model;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.l2cbeam.core.io.CheckpointFormatException;
import org.l2cbeam.core.io.WeightMap;

/**
 * The architecture of a DiT (facebookresearch/DiT {@code models.DiT} constructor arguments). The
 * official S/B/L/XL x patch 2/4/8 family is in {@link #official}; any checkpoint's config can be
 * inferred from its tensor shapes with {@link #infer}, except the head count, which shapes do not
 * determine.
 */
public final class DiTConfig {
  /** Hidden size, depth and heads of the official model sizes, keyed by name. */
  private static final Map<String, int[]> SIZES = new LinkedHashMap<>();

  static {
    SIZES.put("S", new int[] {384, 12, 6});
    SIZES.put("B", new int[] {768, 12, 12});
    SIZES.put("L", new int[] {1024, 24, 16});
    SIZES.put("XL", new int[] {1152, 28, 16});
  }

  public final int inputSize;
  public final int patchSize;
  public final int inChannels;
  public final int hiddenSize;
  public final int depth;
  public final int numHeads;
  public final double mlpRatio;
  public final int numClasses;
  public final boolean learnSigma;

  public DiTConfig(
      int inputSize,
      int patchSize,
      int inChannels,
      int hiddenSize,
      int depth,
      int numHeads,
      double mlpRatio,
      int numClasses,
      boolean learnSigma) {
    this.inputSize = inputSize;
    this.patchSize = patchSize;
    this.inChannels = inChannels;
    this.hiddenSize = hiddenSize;
    this.depth = depth;
    this.numHeads = numHeads;
    this.mlpRatio = mlpRatio;
    this.numClasses = numClasses;
    this.learnSigma = learnSigma;
    List<String> bad = new ArrayList<>();
    if (inputSize <= 0 || patchSize <= 0 || inputSize % patchSize != 0) {
      bad.add("input_size " + inputSize + " is not a positive multiple of patch_size " + patchSize);
    }
    if (inChannels <= 0) bad.add("in_channels " + inChannels + " must be positive");
    if (depth <= 0) bad.add("depth " + depth + " must be positive");
    if (numHeads <= 0 || hiddenSize <= 0 || hiddenSize % numHeads != 0) {
      bad.add("hidden_size " + hiddenSize + " is not a positive multiple of num_heads " + numHeads);
    }
    if (mlpHidden() <= 0) bad.add("mlp_ratio " + mlpRatio + " gives no MLP width");
    if (numClasses <= 0) bad.add("num_classes " + numClasses + " must be positive");
    if (!bad.isEmpty()) {
      throw new IllegalArgumentException("invalid DiT config: " + String.join("; ", bad));
    }
  }

  /**
   * An official config by name, e.g. {@code "DiT-XL/2"} or {@code "XL/2"}, for ImageNet latents: 4
   * input channels, learned sigma, 1000 classes. {@code latentSize} is 32 for 256 px and 64 for 512
   * px.
   */
  public static DiTConfig official(String name, int latentSize) {
    String n = name.startsWith("DiT-") ? name.substring(4) : name;
    int slash = n.indexOf('/');
    int[] size = slash < 0 ? null : SIZES.get(n.substring(0, slash).toUpperCase());
    int patch = -1;
    if (slash >= 0) {
      try {
        patch = Integer.parseInt(n.substring(slash + 1));
      } catch (NumberFormatException e) {
        patch = -1;
      }
    }
    if (size == null || (patch != 2 && patch != 4 && patch != 8)) {
      throw new IllegalArgumentException(
          "unknown DiT model '" + name + "'; known: " + officialNames());
    }
    return new DiTConfig(latentSize, patch, 4, size[0], size[1], size[2], 4.0, 1000, true);
  }

  /** All official names, {@code DiT-S/2} ... {@code DiT-XL/8}. */
  public static List<String> officialNames() {
    List<String> names = new ArrayList<>();
    for (String s : SIZES.keySet())
      for (int p : new int[] {2, 4, 8}) names.add("DiT-" + s + "/" + p);
    return names;
  }

  /** The official head count for an official hidden size, or -1. */
  public static int officialHeads(int hiddenSize) {
    for (int[] s : SIZES.values()) if (s[0] == hiddenSize) return s[2];
    return -1;
  }

  /** The official name matching this config (ignoring latent size), or null. */
  public String officialName() {
    for (Map.Entry<String, int[]> e : SIZES.entrySet()) {
      int[] s = e.getValue();
      if (s[0] == hiddenSize
          && s[1] == depth
          && s[2] == numHeads
          && mlpRatio == 4.0
          && inChannels == 4
          && learnSigma
          && numClasses == 1000
          && (patchSize == 2 || patchSize == 4 || patchSize == 8)) {
        return "DiT-" + e.getKey() + "/" + patchSize;
      }
    }
    return null;
  }

  /**
   * Infers the config from a state dict's shapes. Heads cannot be read from shapes: {@code
   * numHeads} wins if positive, otherwise official hidden sizes use the official head count, and
   * anything else is an error asking for it. Inconsistent shapes give one error naming the file and
   * every offending tensor.
   */
  public static DiTConfig infer(WeightMap w, int numHeads) {
    Path file = w.source();
    long[] proj = need(w, "x_embedder.proj.weight", 4);
    int hidden = (int) proj[0];
    int inCh = (int) proj[1];
    if (proj[2] != proj[3]) {
      throw new CheckpointFormatException(
          file, "x_embedder.proj.weight has non-square patch kernel " + shape(proj));
    }
    int patch = (int) proj[2];
    long[] pos = need(w, "pos_embed", 3);
    long tokens = pos[1];
    int grid = (int) Math.round(Math.sqrt(tokens));
    if (pos[0] == 1 && pos[2] != hidden) {
      throw new CheckpointFormatException(
          file,
          "x_embedder.proj.weight "
              + shape(proj)
              + " gives hidden size "
              + hidden
              + ", but pos_embed "
              + shape(pos)
              + " has width "
              + pos[2]
              + ": one of them is transposed or from another model");
    }
    if ((long) grid * grid != tokens || pos[0] != 1 || pos[2] != hidden) {
      throw new CheckpointFormatException(
          file,
          "pos_embed "
              + shape(pos)
              + " is not [1, grid*grid, "
              + hidden
              + "] for hidden size "
              + hidden);
    }
    int depth = 0;
    while (w.contains("blocks." + depth + ".attn.qkv.weight")) depth++;
    if (depth == 0) {
      throw new CheckpointFormatException(
          file, "no DiT blocks (missing blocks.0.attn.qkv.weight); not a DiT state dict?");
    }
    long[] fc1 = need(w, "blocks.0.mlp.fc1.weight", 2);
    double mlpRatio = (double) fc1[0] / hidden;
    long[] table = need(w, "y_embedder.embedding_table.weight", 2);
    // DiT adds one row for the CFG null class whenever class_dropout_prob > 0 (all released
    // models).
    int numClasses = (int) table[0] - 1;
    long[] fin = need(w, "final_layer.linear.weight", 2);
    long outPerToken = fin[0];
    long outCh = outPerToken / ((long) patch * patch);
    if (outCh * patch * patch != outPerToken || (outCh != inCh && outCh != 2L * inCh)) {
      throw new CheckpointFormatException(
          file,
          "final_layer.linear.weight "
              + shape(fin)
              + " gives "
              + outPerToken
              + " values per token, not patch^2 x "
              + inCh
              + " or x "
              + (2 * inCh)
              + " channels");
    }
    int heads = numHeads;
    if (heads <= 0) heads = officialHeads(hidden);
    if (heads <= 0) {
      throw new CheckpointFormatException(
          file,
          "cannot infer the number of attention heads for hidden size "
              + hidden
              + " (not an official DiT size); give it explicitly (--num-heads, or num_heads in a config.json next to"
              + " the checkpoint)");
    }
    if (hidden % heads != 0) {
      throw new CheckpointFormatException(
          file, "hidden size " + hidden + " is not divisible by num_heads " + heads);
    }
    DiTConfig cfg;
    try {
      cfg =
          new DiTConfig(
              grid * patch,
              patch,
              inCh,
              hidden,
              depth,
              heads,
              mlpRatio,
              numClasses,
              outCh == 2L * inCh);
    } catch (IllegalArgumentException e) {
      throw new CheckpointFormatException(file, e.getMessage());
    }
    w.checkStrict(cfg.expectedShapes());
    return cfg;
  }

  private static long[] need(WeightMap w, String name, int rank) {
    if (!w.contains(name)) {
      throw new CheckpointFormatException(
          w.source(), "missing tensor '" + name + "'; not a DiT state dict?");
    }
    long[] s = w.shape(name);
    if (s.length != rank) {
      throw new CheckpointFormatException(
          w.source(), name + " has shape " + shape(s) + ", expected rank " + rank);
    }
    return s;
  }

  private static String shape(long[] s) {
    return java.util.Arrays.toString(s);
  }

  public int gridSize() {
    return inputSize / patchSize;
  }

  public int tokens() {
    return gridSize() * gridSize();
  }

  public int headDim() {
    return hiddenSize / numHeads;
  }

  public int mlpHidden() {
    return (int) (hiddenSize * mlpRatio);
  }

  public int outChannels() {
    return learnSigma ? 2 * inChannels : inChannels;
  }

  /** Cache units: attention and MLP branch of every block. */
  public int units() {
    return 2 * depth;
  }

  /** The CFG null label (the extra embedding row). */
  public int nullClass() {
    return numClasses;
  }

  /** Every state-dict entry and its shape, as {@code load_state_dict(strict=True)} expects. */
  public Map<String, long[]> expectedShapes() {
    long d = hiddenSize;
    long p = patchSize;
    Map<String, long[]> m = new TreeMap<>();
    m.put("pos_embed", new long[] {1, tokens(), d});
    m.put("x_embedder.proj.weight", new long[] {d, inChannels, p, p});
    m.put("x_embedder.proj.bias", new long[] {d});
    m.put("t_embedder.mlp.0.weight", new long[] {d, TimestepEmbedder.FREQUENCY_DIM});
    m.put("t_embedder.mlp.0.bias", new long[] {d});
    m.put("t_embedder.mlp.2.weight", new long[] {d, d});
    m.put("t_embedder.mlp.2.bias", new long[] {d});
    m.put("y_embedder.embedding_table.weight", new long[] {numClasses + 1, d});
    for (int i = 0; i < depth; i++) {
      String b = "blocks." + i + ".";
      m.put(b + "attn.qkv.weight", new long[] {3 * d, d});
      m.put(b + "attn.qkv.bias", new long[] {3 * d});
      m.put(b + "attn.proj.weight", new long[] {d, d});
      m.put(b + "attn.proj.bias", new long[] {d});
      m.put(b + "mlp.fc1.weight", new long[] {mlpHidden(), d});
      m.put(b + "mlp.fc1.bias", new long[] {mlpHidden()});
      m.put(b + "mlp.fc2.weight", new long[] {d, mlpHidden()});
      m.put(b + "mlp.fc2.bias", new long[] {d});
      m.put(b + "adaLN_modulation.1.weight", new long[] {6 * d, d});
      m.put(b + "adaLN_modulation.1.bias", new long[] {6 * d});
    }
    m.put("final_layer.linear.weight", new long[] {p * p * outChannels(), d});
    m.put("final_layer.linear.bias", new long[] {p * p * outChannels()});
    m.put("final_layer.adaLN_modulation.1.weight", new long[] {2 * d, d});
    m.put("final_layer.adaLN_modulation.1.bias", new long[] {2 * d});
    return m;
  }

  /**
   * Multiply-accumulates of one image-forward: {@code [attn unit, MLP unit, everything else]} (the
   * MAC accounting of L2C's speedup figures; attention counts qkv, QK^T, AV and proj).
   */
  public double[] macsPerImage() {
    double t = tokens();
    double d = hiddenSize;
    double attn = t * d * 3 * d + 2 * t * t * d + t * d * d;
    double mlp = 2 * t * d * mlpHidden();
    double other =
        depth * d * 6 * d
            + t * d * inChannels * patchSize * patchSize
            + 256 * d
            + d * d
            + 2 * d * d
            + t * d * patchSize * patchSize * outChannels();
    return new double[] {attn, mlp, other};
  }

  public Map<String, Object> toMap() {
    Map<String, Object> m = new LinkedHashMap<>();
    String name = officialName();
    if (name != null) m.put("name", name);
    m.put("input_size", inputSize);
    m.put("patch_size", patchSize);
    m.put("in_channels", inChannels);
    m.put("hidden_size", hiddenSize);
    m.put("depth", depth);
    m.put("num_heads", numHeads);
    m.put("mlp_ratio", mlpRatio);
    m.put("num_classes", numClasses);
    m.put("learn_sigma", learnSigma);
    m.put("units", units());
    return m;
  }

  @Override
  public String toString() {
    return "DiTConfig" + toMap();
  }
}
