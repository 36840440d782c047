package org.l2cbeam.core.model;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import org.l2cbeam.core.io.CheckpointFormatException;
import org.l2cbeam.core.io.WeightMap;

/**
 * U-ViT hyper-parameters, inferred from a state dict's shapes (U-ViT-H/2: latent 32, patch 2, 4
 * channels, D 1152, 14 in-blocks + mid + 14 out-blocks, 16 heads, MLP 4608, 1001 labels). The head
 * count is not in the shapes: by default it is the released configs' count for that width (1152 or
 * 1024 → 16, 512 → 8; otherwise head dim 64), and any other model must state it.
 */
public final class UViTConfig {
  public final int imageSize;
  public final int patchSize;
  public final int inChannels;
  public final int hidden;

  /** Number of in-blocks (= number of out-blocks); the original's {@code depth} is twice this. */
  public final int halfDepth;

  public final int heads;
  public final int mlpHidden;
  public final int numClasses;

  public UViTConfig(
      int imageSize,
      int patchSize,
      int inChannels,
      int hidden,
      int halfDepth,
      int heads,
      int mlpHidden,
      int numClasses) {
    if (hidden % heads != 0) {
      throw new IllegalArgumentException(
          "hidden size " + hidden + " is not divisible by " + heads + " heads");
    }
    if (imageSize % patchSize != 0) {
      throw new IllegalArgumentException(
          "image size " + imageSize + " is not divisible by patch " + patchSize);
    }
    this.imageSize = imageSize;
    this.patchSize = patchSize;
    this.inChannels = inChannels;
    this.hidden = hidden;
    this.halfDepth = halfDepth;
    this.heads = heads;
    this.mlpHidden = mlpHidden;
    this.numClasses = numClasses;
  }

  /** U-ViT-H/2 for ImageNet 256 ({@code configs/imagenet256_uvit_huge.py}). */
  public static UViTConfig huge256() {
    return new UViTConfig(32, 2, 4, 1152, 14, 16, 4608, 1001);
  }

  /** True if the weights look like a U-ViT state dict (and not, e.g., a DiT one). */
  public static boolean matches(WeightMap w) {
    return w.contains("mid_block.attn.qkv.weight") && w.contains("decoder_pred.weight");
  }

  /**
   * Infers the configuration from the state dict's shapes; {@code heads <= 0} picks the default
   * head count.
   */
  public static UViTConfig infer(WeightMap w, int heads) {
    if (!matches(w)) {
      throw new CheckpointFormatException(
          w.source(),
          "not a U-ViT state dict: no 'mid_block.attn.qkv.weight' / 'decoder_pred.weight'");
    }
    long[] patch = w.shape("patch_embed.proj.weight"); // [D, C, p, p]
    int hidden = (int) patch[0];
    int inChannels = (int) patch[1];
    int p = (int) patch[2];
    long[] pos = w.shape("pos_embed"); // [1, 2 + (S/p)^2, D]
    if (patch.length != 4 || pos.length != 3 || pos[2] != hidden) {
      throw new CheckpointFormatException(
          w.source(),
          "patch_embed.proj.weight "
              + Arrays.toString(patch)
              + " and pos_embed "
              + Arrays.toString(pos)
              + " disagree on the embedding width ("
              + hidden
              + " vs "
              + (pos.length == 3 ? pos[2] : "?")
              + "): one of them is transposed or from another model");
    }
    if (!w.contains("label_emb.weight")) {
      throw new CheckpointFormatException(
          w.source(),
          "U-ViT without 'label_emb.weight' (unconditional) is not supported: L2C needs class labels");
    }
    int numClasses = (int) w.shape("label_emb.weight")[0];
    int grid = (int) Math.round(Math.sqrt(pos[1] - 2));
    if (grid * grid != pos[1] - 2) {
      throw new CheckpointFormatException(
          w.source(),
          "pos_embed " + Arrays.toString(pos) + " is not 2 extra tokens plus a square patch grid");
    }
    int half = 0;
    while (w.contains("in_blocks." + half + ".attn.qkv.weight")) half++;
    int mlp = (int) w.shape("mid_block.mlp.fc1.weight")[0];
    int h = heads > 0 ? heads : defaultHeads(hidden);
    return new UViTConfig(grid * p, p, inChannels, hidden, half, h, mlp, numClasses);
  }

  /**
   * U-ViT's released configs: D 1152 → 16 heads (H/2), D 1024 → 16 (L), D 512 → 8 (M, S); else head
   * dim 64.
   */
  static int defaultHeads(int hidden) {
    switch (hidden) {
      case 1152:
      case 1024:
        return 16;
      case 512:
        return 8;
      default:
        return Math.max(1, hidden / 64);
    }
  }

  /** Number of transformer layers: in-blocks, mid, out-blocks. */
  public int layers() {
    return 2 * halfDepth + 1;
  }

  /** Cache units: attention and MLP of every layer. */
  public int units() {
    return 2 * layers();
  }

  public int gridSize() {
    return imageSize / patchSize;
  }

  /** Tokens: label, time, then the patches. */
  public int tokens() {
    return 2 + gridSize() * gridSize();
  }

  /** The null (unconditional) label: the last row of the label table. */
  public int nullLabel() {
    return numClasses - 1;
  }

  /** Every state-dict key and its shape, for a strict load. */
  public Map<String, long[]> expectedShapes() {
    Map<String, long[]> m = new LinkedHashMap<>();
    long d = hidden;
    m.put("pos_embed", new long[] {1, tokens(), d});
    m.put("patch_embed.proj.weight", new long[] {d, inChannels, patchSize, patchSize});
    m.put("patch_embed.proj.bias", new long[] {d});
    m.put("label_emb.weight", new long[] {numClasses, d});
    for (int l = 0; l < layers(); l++) {
      String p = blockPrefix(l);
      m.put(p + "norm1.weight", new long[] {d});
      m.put(p + "norm1.bias", new long[] {d});
      m.put(p + "attn.qkv.weight", new long[] {3 * d, d});
      m.put(p + "attn.proj.weight", new long[] {d, d});
      m.put(p + "attn.proj.bias", new long[] {d});
      m.put(p + "norm2.weight", new long[] {d});
      m.put(p + "norm2.bias", new long[] {d});
      m.put(p + "mlp.fc1.weight", new long[] {mlpHidden, d});
      m.put(p + "mlp.fc1.bias", new long[] {mlpHidden});
      m.put(p + "mlp.fc2.weight", new long[] {d, mlpHidden});
      m.put(p + "mlp.fc2.bias", new long[] {d});
      if (l > halfDepth) {
        m.put(p + "skip_linear.weight", new long[] {d, 2 * d});
        m.put(p + "skip_linear.bias", new long[] {d});
      }
    }
    m.put("norm.weight", new long[] {d});
    m.put("norm.bias", new long[] {d});
    m.put("decoder_pred.weight", new long[] {(long) patchSize * patchSize * inChannels, d});
    m.put("decoder_pred.bias", new long[] {(long) patchSize * patchSize * inChannels});
    return m;
  }

  /**
   * State-dict prefix of layer ℓ: {@code in_blocks.ℓ.}, {@code mid_block.} or {@code
   * out_blocks.(ℓ−half−1).}.
   */
  public String blockPrefix(int layer) {
    if (layer < halfDepth) return "in_blocks." + layer + ".";
    if (layer == halfDepth) return "mid_block.";
    return "out_blocks." + (layer - halfDepth - 1) + ".";
  }

  /** The configuration as a map, in the original's argument names, for display and provenance. */
  public Map<String, Object> toMap() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("img_size", imageSize);
    m.put("patch_size", patchSize);
    m.put("in_chans", inChannels);
    m.put("embed_dim", hidden);
    m.put("depth", 2 * halfDepth);
    m.put("num_heads", heads);
    m.put("mlp_hidden", mlpHidden);
    m.put("num_classes", numClasses);
    m.put("units", units());
    return m;
  }

  @Override
  public String toString() {
    return "U-ViT(img "
        + imageSize
        + ", patch "
        + patchSize
        + ", channels "
        + inChannels
        + ", D "
        + hidden
        + ", blocks "
        + halfDepth
        + "+1+"
        + halfDepth
        + ", heads "
        + heads
        + ", mlp "
        + mlpHidden
        + ", classes "
        + numClasses
        + ")";
  }
}
