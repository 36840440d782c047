package org.l2cbeam.core.diffusion;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;

/**
 * Classifier-free guidance as DiT's {@code forward_with_cfg} combines the doubled batch {@code
 * [cond; uncond]}: {@code eps = uncond + s * (cond - uncond)} on the guided channels, copied into
 * both halves; the other channels (and the learned-variance channels) keep each half's raw output.
 *
 * <p>The original guides channels 0..2 only ({@link Channels#FIRST_THREE}), which leaves latent
 * channel 3 of an SD-VAE latent unguided; official checkpoints need it to give official numbers.
 * {@link Channels#ALL} guides all {@code in_channels} (the standard rule, and the only correct one
 * for models with fewer than 3 channels).
 */
public final class Guidance {
  public enum Channels {
    /** DiT's quirk: {@code eps[:, :3]}. */
    FIRST_THREE,
    /** {@code eps[:, :in_channels]}. */
    ALL
  }

  private final double scale;
  private final Channels channels;

  public Guidance(double scale, Channels channels) {
    if (!Double.isFinite(scale)) {
      throw new IllegalArgumentException("cfg scale must be finite, got " + scale);
    }
    this.scale = scale;
    this.channels = channels;
  }

  /**
   * The original's rule where it is meaningful: the first 3 channels for models with at least 3
   * latent channels (official DiTs), all channels otherwise.
   */
  public static Guidance defaultFor(double scale, int inChannels) {
    return new Guidance(scale, inChannels >= 3 ? Channels.FIRST_THREE : Channels.ALL);
  }

  /** Parses {@code "3"} or {@code "all"} (the CLI's {@code --guided-channels}). */
  public static Channels parseChannels(String s) {
    switch (s.trim().toLowerCase()) {
      case "3":
        return Channels.FIRST_THREE;
      case "all":
        return Channels.ALL;
      default:
        throw new IllegalArgumentException("--guided-channels must be 3 or all, got '" + s + "'");
    }
  }

  public double scale() {
    return scale;
  }

  public Channels channels() {
    return channels;
  }

  /**
   * Number of leading output channels that are guided, for a model with {@code inChannels} latent
   * channels.
   */
  public int guidedChannels(int inChannels) {
    if (channels == Channels.ALL) {
      return inChannels;
    }
    if (inChannels < 3) {
      throw new IllegalArgumentException(
          "--guided-channels 3 (the original DiT quirk) needs a model with at least 3 latent channels; this model has "
              + inChannels
              + ", use --guided-channels all");
    }
    return 3;
  }

  /**
   * Combines a doubled-batch model output {@code [2n, outC, H, W]} into the guided output of the
   * same shape.
   */
  public NDArray combine(NDArray modelOut, int inChannels) {
    int k = guidedChannels(inChannels);
    long n2 = modelOut.getShape().get(0);
    long half = n2 / 2;
    NDArray eps = modelOut.get(":, 0:" + k);
    NDArray rest = modelOut.get(":, " + k + ":");
    NDArray cond = eps.get("0:" + half);
    NDArray uncond = eps.get(half + ":");
    NDArray s = modelOut.getManager().full(new Shape(), (float) scale);
    NDArray halfEps = uncond.add(cond.sub(uncond).mul(s));
    NDArray guided = halfEps.concat(halfEps, 0);
    return guided.concat(rest, 1);
  }

  /**
   * Combines the outputs of two separate forward calls (U-ViT's CFG: cond then uncond, each {@code
   * [n, C, H, W]}) with the same rule: {@code uncond + s·(cond − uncond)} on the guided channels,
   * the conditional output elsewhere.
   */
  public NDArray combine(NDArray cond, NDArray uncond, int inChannels) {
    int k = guidedChannels(inChannels);
    NDArray s = cond.getManager().full(new Shape(), (float) scale);
    long channels = cond.getShape().get(1);
    if (k == channels) {
      return uncond.add(cond.sub(uncond).mul(s));
    }
    NDArray c = cond.get(":, 0:" + k);
    NDArray u = uncond.get(":, 0:" + k);
    return u.add(c.sub(u).mul(s)).concat(cond.get(":, " + k + ":"), 1);
  }

  @Override
  public String toString() {
    return "cfg "
        + scale
        + " on "
        + (channels == Channels.FIRST_THREE ? "channels 0..2" : "all channels");
  }
}
