package org.l2cbeam.pipelines.cli;

import ai.djl.ndarray.NDManager;
import org.l2cbeam.core.diffusion.Guidance;
import org.l2cbeam.core.model.DiT;
import org.l2cbeam.core.model.DiffusionTransformer;
import org.l2cbeam.core.model.ModelCheckpoint;
import org.l2cbeam.core.model.UViT;
import org.l2cbeam.core.router.ModelFamily;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * The checkpoint options {@code l2c forward} and {@code l2c sample} share (a picocli mixin): which
 * model, its head count where the shapes cannot tell it, DiT's CFG channel rule, and the kernels it
 * runs on. The family is detected from the keys ({@link ModelCheckpoint}).
 */
final class ModelCheckpointOptions {
  @Option(
      names = "--model",
      required = true,
      paramLabel = "CKPT",
      description =
          "DiT or U-ViT checkpoint (.pt or .safetensors; the family is detected from the keys; a DiT 'ema'"
              + " training checkpoint is unwrapped) or builtin:fmnist-dit")
  String model;

  @Option(
      names = "--guided-channels",
      paramLabel = "3|all",
      description =
          "CFG channels: 3 = the original DiT quirk (default for models with >= 3 channels), all = every latent channel")
  String guidedChannels;

  @Option(
      names = "--num-heads",
      defaultValue = "0",
      paramLabel = "H",
      description =
          "attention heads, for non-official sizes without a config.json next to the checkpoint")
  int numHeads;

  @Mixin KernelOptions kernels = new KernelOptions();

  private ModelCheckpoint opened;

  /** The checkpoint, opened once; its family decides what the command does. */
  ModelCheckpoint checkpoint() {
    if (opened == null) opened = ModelCheckpoint.open(model);
    return opened;
  }

  boolean isUViT() {
    return checkpoint().family() == ModelFamily.UVIT;
  }

  /**
   * The model of either family, on the requested kernels; {@code --guided-channels} is refused for
   * a U-ViT, whose guidance always covers every channel.
   */
  DiffusionTransformer load() {
    if (isUViT()) checkNoGuidedChannels();
    return checkpoint().load(numHeads, kernels.applyToProcess());
  }

  DiT loadDiT(NDManager manager) {
    kernels.applyToProcess();
    return DiT.load(
        checkpoint().stateDict(), checkpoint().ditConfig(numHeads), manager, kernels.execution());
  }

  UViT loadUViT() {
    checkNoGuidedChannels();
    return (UViT) checkpoint().load(numHeads, kernels.applyToProcess());
  }

  /** {@code --guided-channels} for DiT's guidance, or null for the original's rule. */
  Guidance.Channels guidedChannels() {
    return guidedChannels == null ? null : Guidance.parseChannels(guidedChannels);
  }

  /**
   * DiT guidance at weight {@code scale} under {@code --guided-channels} (default: the original's
   * rule).
   */
  Guidance ditGuidance(double scale, int inChannels) {
    return CommandInputs.guidance(scale, guidedChannels, inChannels);
  }

  private void checkNoGuidedChannels() {
    if (guidedChannels != null) {
      throw new IllegalArgumentException(
          "--guided-channels is a DiT option: U-ViT's guidance always covers every latent channel");
    }
  }
}
