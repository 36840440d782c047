package org.l2cbeam.core.vae;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Function;
import org.l2cbeam.core.io.CheckpointFormatException;

/**
 * The shape of an AutoencoderKL, in LDM names. Never hard-coded for a checkpoint: {@link #infer}
 * reads it from the weight shapes, so the real sd-vae-ft-ema and the tiny test configurations load
 * alike.
 */
public final class VaeConfig {
  /** GroupNorm groups everywhere in the model; not stored in checkpoints. */
  public static final int GROUPS = 32;

  private final int ch;
  private final int[] chMult;
  private final int numResBlocks;
  private final int inChannels;
  private final int outChannels;
  private final int zChannels;
  private final int embedDim;

  public VaeConfig(
      int ch,
      int[] chMult,
      int numResBlocks,
      int inChannels,
      int outChannels,
      int zChannels,
      int embedDim) {
    if (chMult.length == 0
        || numResBlocks < 1
        || ch < 1
        || inChannels < 1
        || outChannels < 1
        || zChannels < 1
        || embedDim < 1) {
      throw new IllegalArgumentException(
          "invalid VAE configuration " + describe(ch, chMult, numResBlocks));
    }
    this.ch = ch;
    this.chMult = chMult.clone();
    this.numResBlocks = numResBlocks;
    this.inChannels = inChannels;
    this.outChannels = outChannels;
    this.zChannels = zChannels;
    this.embedDim = embedDim;
  }

  /** The Stable-Diffusion kl-f8 autoencoder of sd-vae-ft-ema / U-ViT's autoencoder_kl_ema.pth. */
  public static VaeConfig stableDiffusionKlF8() {
    return new VaeConfig(128, new int[] {1, 2, 4, 4}, 2, 3, 3, 4, 4);
  }

  /**
   * Infers the configuration from tensor shapes in LDM names. {@code displayName} turns an LDM name
   * into the name the file uses, so an error names the key the user can look for.
   */
  static VaeConfig infer(
      Map<String, long[]> shapes, Function<String, String> displayName, Path source) {
    Function<String, long[]> require =
        key -> {
          long[] s = shapes.get(key);
          if (s == null) {
            throw new CheckpointFormatException(
                source,
                "missing tensor '"
                    + displayName.apply(key)
                    + "' (needed to infer the VAE configuration)");
          }
          return s;
        };
    long[] convIn = require.apply("encoder.conv_in.weight");
    int ch = (int) convIn[0];
    int levels = 0;
    while (shapes.containsKey("encoder.down." + levels + ".block.0.conv1.weight")) levels++;
    if (levels == 0) require.apply("encoder.down.0.block.0.conv1.weight");
    int[] chMult = new int[levels];
    for (int i = 0; i < levels; i++) {
      long channels = shapes.get("encoder.down." + i + ".block.0.conv1.weight")[0];
      if (channels % ch != 0) {
        throw new CheckpointFormatException(
            source,
            "'"
                + displayName.apply("encoder.down." + i + ".block.0.conv1.weight")
                + "' has "
                + channels
                + " output channels, not a multiple of the base width "
                + ch);
      }
      chMult[i] = (int) (channels / ch);
    }
    int numResBlocks = 0;
    while (shapes.containsKey("encoder.down.0.block." + numResBlocks + ".conv1.weight"))
      numResBlocks++;
    int zChannels = (int) require.apply("decoder.conv_in.weight")[1];
    int embedDim = (int) require.apply("post_quant_conv.weight")[1];
    int outChannels = (int) require.apply("decoder.conv_out.weight")[0];
    VaeConfig config =
        new VaeConfig(ch, chMult, numResBlocks, (int) convIn[1], outChannels, zChannels, embedDim);
    for (int i = -1; i < levels; i++) {
      int c = i < 0 ? ch : config.channels(i);
      if (c % GROUPS != 0) {
        throw new CheckpointFormatException(
            source,
            (i < 0 ? "base width " : "level " + i + " width ")
                + c
                + " is not a multiple of the "
                + GROUPS
                + " GroupNorm groups ("
                + config
                + ")");
      }
    }
    return config;
  }

  public int baseChannels() {
    return ch;
  }

  public int[] channelMultipliers() {
    return chMult.clone();
  }

  public int levels() {
    return chMult.length;
  }

  /** C_i = ch · ch_mult[i]: the width of resolution level i. */
  public int channels(int level) {
    return ch * chMult[level];
  }

  public int numResBlocks() {
    return numResBlocks;
  }

  public int inChannels() {
    return inChannels;
  }

  public int outChannels() {
    return outChannels;
  }

  public int zChannels() {
    return zChannels;
  }

  /** Channels of the latent the diffusion model sees (posterior mean / sample, decoder input). */
  public int embedDim() {
    return embedDim;
  }

  /** f = 2^(levels-1): image side / latent side (8 for the real model). */
  public int downsamplingFactor() {
    return 1 << (levels() - 1);
  }

  /**
   * Every parameter in U-ViT's state-dict order, LDM names, LDM shapes (attention projections
   * [C,C,1,1]).
   */
  public Map<String, long[]> ldmShapes() {
    Map<String, long[]> s = new LinkedHashMap<>();
    conv(s, "encoder.conv_in", ch, inChannels, 3);
    int blockIn = ch;
    for (int i = 0; i < levels(); i++) {
      for (int j = 0; j < numResBlocks; j++) {
        resnet(s, "encoder.down." + i + ".block." + j, blockIn, channels(i));
        blockIn = channels(i);
      }
      if (i != levels() - 1) conv(s, "encoder.down." + i + ".downsample.conv", blockIn, blockIn, 3);
    }
    mid(s, "encoder", blockIn);
    norm(s, "encoder.norm_out", blockIn);
    conv(s, "encoder.conv_out", 2 * zChannels, blockIn, 3);
    int top = channels(levels() - 1);
    conv(s, "decoder.conv_in", top, zChannels, 3);
    mid(s, "decoder", top);
    // State-dict order is by level index (up.0 first) although execution runs from the last level
    // down.
    for (int i = 0; i < levels(); i++) {
      int in = i == levels() - 1 ? top : channels(i + 1);
      for (int j = 0; j <= numResBlocks; j++) {
        resnet(s, "decoder.up." + i + ".block." + j, j == 0 ? in : channels(i), channels(i));
      }
      if (i != 0) conv(s, "decoder.up." + i + ".upsample.conv", channels(i), channels(i), 3);
    }
    norm(s, "decoder.norm_out", channels(0));
    conv(s, "decoder.conv_out", outChannels, channels(0), 3);
    conv(s, "quant_conv", 2 * embedDim, 2 * zChannels, 1);
    conv(s, "post_quant_conv", zChannels, embedDim, 1);
    return s;
  }

  /**
   * Multiply-accumulates of one decoder pass (post_quant_conv included) for a latent of side h × w.
   */
  public long decoderMacs(long h, long w) {
    long macs = convMacs(zChannels, embedDim, 1, h, w);
    int top = channels(levels() - 1);
    macs += convMacs(top, zChannels, 3, h, w);
    macs += midMacs(top, h, w);
    long side = h;
    long sideW = w;
    for (int i = levels() - 1; i >= 0; i--) {
      int in = i == levels() - 1 ? top : channels(i + 1);
      for (int j = 0; j <= numResBlocks; j++) {
        macs += resnetMacs(j == 0 ? in : channels(i), channels(i), side, sideW);
      }
      if (i != 0) {
        side *= 2;
        sideW *= 2;
        macs += convMacs(channels(i), channels(i), 3, side, sideW);
      }
    }
    return macs + convMacs(outChannels, channels(0), 3, side, sideW);
  }

  private static long convMacs(long out, long in, long k, long h, long w) {
    return out * in * k * k * h * w;
  }

  private static long resnetMacs(long in, long out, long h, long w) {
    long macs = convMacs(out, in, 3, h, w) + convMacs(out, out, 3, h, w);
    return in == out ? macs : macs + convMacs(out, in, 1, h, w);
  }

  private static long midMacs(long c, long h, long w) {
    long n = h * w;
    return 2 * resnetMacs(c, c, h, w) + 4 * n * c * c + 2 * n * n * c;
  }

  private static void conv(Map<String, long[]> s, String name, long out, long in, long k) {
    s.put(name + ".weight", new long[] {out, in, k, k});
    s.put(name + ".bias", new long[] {out});
  }

  private static void norm(Map<String, long[]> s, String name, long c) {
    s.put(name + ".weight", new long[] {c});
    s.put(name + ".bias", new long[] {c});
  }

  private static void resnet(Map<String, long[]> s, String name, long in, long out) {
    norm(s, name + ".norm1", in);
    conv(s, name + ".conv1", out, in, 3);
    norm(s, name + ".norm2", out);
    conv(s, name + ".conv2", out, out, 3);
    if (in != out) conv(s, name + ".nin_shortcut", out, in, 1);
  }

  private static void mid(Map<String, long[]> s, String part, long c) {
    resnet(s, part + ".mid.block_1", c, c);
    norm(s, part + ".mid.attn_1.norm", c);
    for (String p : new String[] {"q", "k", "v", "proj_out"})
      conv(s, part + ".mid.attn_1." + p, c, c, 1);
    resnet(s, part + ".mid.block_2", c, c);
  }

  @Override
  public boolean equals(Object o) {
    if (!(o instanceof VaeConfig)) return false;
    VaeConfig c = (VaeConfig) o;
    return ch == c.ch
        && Arrays.equals(chMult, c.chMult)
        && numResBlocks == c.numResBlocks
        && inChannels == c.inChannels
        && outChannels == c.outChannels
        && zChannels == c.zChannels
        && embedDim == c.embedDim;
  }

  @Override
  public int hashCode() {
    return Arrays.hashCode(chMult) * 31 + ch;
  }

  @Override
  public String toString() {
    return describe(ch, chMult, numResBlocks)
        + ", in "
        + inChannels
        + ", out "
        + outChannels
        + ", z_channels "
        + zChannels
        + ", embed_dim "
        + embedDim;
  }

  private static String describe(int ch, int[] chMult, int nrb) {
    return "ch " + ch + ", ch_mult " + Arrays.toString(chMult) + ", num_res_blocks " + nrb;
  }
}
