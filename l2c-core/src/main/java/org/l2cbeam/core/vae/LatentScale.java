package org.l2cbeam.core.vae;

import ai.djl.ndarray.NDArray;

/**
 * The latent scale factor: the one place 0.18215 is written. Diffusion models (DiT, U-ViT) work on
 * latents scaled to roughly unit variance, "diffusion space"; the VAE's posterior and decoder work
 * on the unscaled ones, "VAE space". DiT scales outside the VAE ({@code vae.decode(latents /
 * 0.18215)}, {@code sample().mul_(0.18215)}), U-ViT inside ({@code decode(z)} multiplies by
 * 1/0.18215, {@code encode} by 0.18215). Both hand over and receive the same diffusion-space
 * latent, so {@link AutoencoderKL} takes and returns only diffusion-space latents and converts
 * here; the conversions are package-private, so a caller cannot scale twice or forget to scale.
 */
public final class LatentScale {
  /**
   * Stable Diffusion's kl-f8 VAE (sd-vae-ft-ema has no scaling_factor in its config, so the default
   * applies).
   */
  public static final LatentScale STABLE_DIFFUSION = new LatentScale(0.18215f);

  private final float factor;

  private LatentScale(float factor) {
    this.factor = factor;
  }

  public float factor() {
    return factor;
  }

  /** VAE space → diffusion space: {@code factor · x} (U-ViT encode, DiT {@code .mul_(0.18215)}). */
  NDArray toDiffusionSpace(NDArray vaeLatent) {
    return vaeLatent.mul(factor);
  }

  /**
   * Diffusion space → VAE space: {@code z / factor} (DiT {@code decode(latents / 0.18215)}, U-ViT
   * decode).
   */
  NDArray toVaeSpace(NDArray diffusionLatent) {
    return diffusionLatent.div(factor);
  }

  @Override
  public String toString() {
    return "LatentScale{" + factor + "}";
  }
}
