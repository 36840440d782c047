/**
 * The Stable-Diffusion VAE ({@code AutoencoderKL}) that decodes latent DiT/U-ViT samples to images
 * and encodes training images to latents.
 */
package org.l2cbeam.core.vae;
