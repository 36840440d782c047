package org.l2cbeam.pipelines.cli;

import ai.djl.ndarray.NDManager;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import org.l2cbeam.core.io.SafetensorsWriter;
import org.l2cbeam.core.io.TensorData;
import org.l2cbeam.core.io.WeightMap;
import org.l2cbeam.core.runtime.Torch;
import org.l2cbeam.core.vae.AutoencoderKL;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code l2c vae decode}: {@code z} (the scaled latent exactly as DiT's sampler or U-ViT hands it
 * over) to {@code images} [N, 3, H, W] float, roughly in [-1, 1]. The division by 0.18215 happens
 * inside.
 */
@Command(
    name = "decode",
    description = "Decode scaled latents 'z' [N,4,h,w] to 'images' [N,3,8h,8w] (float).")
final class VaeDecodeCommand implements Callable<Integer> {
  @Option(
      names = "--model",
      required = true,
      paramLabel = "VAE",
      description =
          "VAE checkpoint, LDM or diffusers layout (.safetensors, .pt, .pth, .bin, .ckpt)")
  Path model;

  @Option(
      names = "--input",
      required = true,
      paramLabel = "IN.safetensors",
      description =
          "holds 'z': latents as the diffusion model produces them (already multiplied by 0.18215)")
  Path input;

  @Option(
      names = "--output",
      required = true,
      paramLabel = "OUT.safetensors",
      description = "receives 'images'")
  Path output;

  @Option(
      names = "--batch-size",
      defaultValue = "4",
      paramLabel = "N",
      description =
          "latents decoded together (about 0.4 GB of activations per 256x256 image); default ${DEFAULT-VALUE}")
  int batchSize;

  @Override
  public Integer call() throws Exception {
    if (batchSize < 1)
      throw new IllegalArgumentException("--batch-size must be at least 1, got " + batchSize);
    WeightMap in = WeightMap.open(input);
    TensorData z = VaeTensorFiles.require(in, "z", "scaled latents [N, 4, h, w]");
    TensorData images;
    try (AutoencoderKL vae = AutoencoderKL.load(model);
        NDManager manager = Torch.newManager()) {
      images =
          VaeTensorFiles.mapBatches(
              manager, input, "z", z.toNDArray(manager), batchSize, vae::decode);
    }
    Map<String, TensorData> out = new LinkedHashMap<>();
    out.put("images", images);
    SafetensorsWriter.write(
        output, out, Map.of("vae", model.toString(), "source", input.toString()));
    return 0;
  }
}
