package org.l2cbeam.pipelines.cli;

import ai.djl.ndarray.NDManager;
import org.l2cbeam.core.diffusion.Guidance;
import org.l2cbeam.core.model.DiT;
import org.l2cbeam.core.model.DiTLoader;
import org.l2cbeam.core.model.UViT;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * The checkpoint options {@code l2c forward} and {@code l2c sample} share (a picocli mixin): which model, its head
 * count where the shapes cannot tell it, DiT's CFG channel rule, and the kernels it runs on. The family is detected
 * from the keys.
 */
final class ModelCheckpointOptions {
  @Option(names = "--model", required = true, paramLabel = "CKPT",
      description = "DiT or U-ViT checkpoint (.pt or .safetensors; the family is detected from the keys; a DiT 'ema'"
          + " training checkpoint is unwrapped) or builtin:fmnist-dit")
  String model;

  @Option(names = "--guided-channels", paramLabel = "3|all",
      description = "CFG channels: 3 = the original DiT quirk (default for models with >= 3 channels), all = every latent channel")
  String guidedChannels;

  @Option(names = "--num-heads", defaultValue = "0", paramLabel = "H",
      description = "attention heads, for non-official sizes without a config.json next to the checkpoint")
  int numHeads;

  @Mixin KernelOptions kernels = new KernelOptions();

  boolean isUViT() {
    return UViTCli.isUViT(model);
  }

  DiT loadDiT(NDManager manager) {
    kernels.applyToProcess();
    return DiTLoader.load(model, numHeads, manager);
  }

  /** The U-ViT; {@code --guided-channels} is refused, since U-ViT's guidance always covers every channel. */
  UViT loadUViT() {
    if (guidedChannels != null) {
      throw new IllegalArgumentException(
          "--guided-channels is a DiT option: U-ViT's guidance always covers every latent channel");
    }
    kernels.applyToProcess();
    return UViTCli.load(model, numHeads);
  }

  /** DiT guidance at weight {@code scale} under {@code --guided-channels} (default: the original's rule). */
  Guidance ditGuidance(double scale, int inChannels) {
    return DiTCliSupport.guidance(scale, guidedChannels, inChannels);
  }
}
