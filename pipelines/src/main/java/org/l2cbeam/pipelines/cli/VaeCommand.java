package org.l2cbeam.pipelines.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code l2c vae decode|encode}: the Stable-Diffusion VAE on safetensors files. */
@Command(
    name = "vae",
    description =
        "Decode latents to images, or encode images to latents, with a Stable-Diffusion VAE.",
    subcommands = {VaeDecodeCommand.class, VaeEncodeCommand.class})
final class VaeCommand implements Runnable {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(System.err);
  }
}
