package org.l2cbeam.core.vae;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import java.util.Arrays;

/**
 * The encoder's posterior N(mean, exp(logvar)) in VAE space (LDM's {@code
 * DiagonalGaussianDistribution}): the moments split in two along channels. logvar is kept raw; the
 * clamp to [-30, 20] happens where the standard deviation is used. Sampling takes the noise as an
 * argument (the original draws it from torch's global RNG, which Java cannot reproduce).
 */
public final class DiagonalGaussian implements AutoCloseable {
  static final float LOGVAR_MIN = -30f;
  static final float LOGVAR_MAX = 20f;

  private final NDArray mean;
  private final NDArray logvar;

  private DiagonalGaussian(NDArray mean, NDArray logvar) {
    this.mean = mean;
    this.logvar = logvar;
  }

  /**
   * {@code torch.chunk(moments, 2, dim=1)}: the first half of the channels is the mean, the second
   * the logvar.
   */
  public static DiagonalGaussian fromMoments(NDArray moments) {
    long[] s = moments.getShape().getShape();
    if (s.length != 4 || s[1] % 2 != 0) {
      throw new IllegalArgumentException(
          "moments must be [N, 2·embed_dim, h, w], got " + Arrays.toString(s));
    }
    NDList halves = moments.split(2, 1);
    return new DiagonalGaussian(halves.get(0), halves.get(1));
  }

  public NDArray mean() {
    return mean;
  }

  /** The raw logvar, before the clamp. */
  public NDArray logvar() {
    return logvar;
  }

  /** {@code exp(0.5 · clamp(logvar, -30, 20))}, in the manager of the moments. */
  public NDArray std() {
    try (NDArray clamped = logvar.clip(LOGVAR_MIN, LOGVAR_MAX)) {
      return clamped.muli(0.5f).exp();
    }
  }

  /**
   * {@code mean + std · noise}, in VAE space (diffusers' {@code latent_dist.sample()}).
   * Package-private: callers get diffusion-space latents from {@link AutoencoderKL#latentFrom},
   * which applies the scale.
   */
  NDArray sample(NDArray noise) {
    if (!noise.getShape().equals(mean.getShape())) {
      throw new IllegalArgumentException(
          "noise has shape "
              + noise.getShape()
              + " but the posterior mean has shape "
              + mean.getShape());
    }
    try (NDArray std = std()) {
      return noise.mul(std).addi(mean);
    }
  }

  @Override
  public void close() {
    mean.close();
    logvar.close();
  }
}
