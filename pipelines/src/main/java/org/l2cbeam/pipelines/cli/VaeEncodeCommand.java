package org.l2cbeam.pipelines.cli;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import org.l2cbeam.core.io.CheckpointFormatException;
import org.l2cbeam.core.io.SafetensorsWriter;
import org.l2cbeam.core.io.TensorData;
import org.l2cbeam.core.io.WeightMap;
import org.l2cbeam.core.runtime.Torch;
import org.l2cbeam.core.vae.AutoencoderKL;
import org.l2cbeam.core.vae.DiagonalGaussian;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code l2c vae encode}: images {@code x} in [-1, 1] to the posterior's {@code mean} and raw
 * {@code logvar}, plus {@code latent} = 0.18215·(mean + std·noise) when {@code noise} is given
 * (what DiT's router training and U-ViT's {@code encode} produce with that noise).
 */
@Command(
    name = "encode",
    description =
        "Encode images 'x' [N,3,H,W] in [-1,1] to 'mean', 'logvar' and, with 'noise', the scaled 'latent'.")
final class VaeEncodeCommand implements Callable<Integer> {
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
          "holds 'x' [N,3,H,W] in [-1,1] (H, W multiples of 8) and optionally 'noise' [N,4,H/8,W/8]")
  Path input;

  @Option(
      names = "--output",
      required = true,
      paramLabel = "OUT.safetensors",
      description = "receives 'mean', 'logvar' (raw, before the clamp) and, with noise, 'latent'")
  Path output;

  @Option(
      names = "--batch-size",
      defaultValue = "4",
      paramLabel = "N",
      description = "images encoded together; default ${DEFAULT-VALUE}")
  int batchSize;

  @Override
  public Integer call() throws Exception {
    if (batchSize < 1)
      throw new IllegalArgumentException("--batch-size must be at least 1, got " + batchSize);
    WeightMap in = WeightMap.open(input);
    TensorData x = VaeTensorFiles.require(in, "x", "images [N, 3, H, W] in [-1, 1]");
    TensorData noise =
        in.contains("noise") ? VaeTensorFiles.require(in, "noise", "posterior noise") : null;
    Map<String, TensorData> out = new LinkedHashMap<>();
    try (AutoencoderKL vae = AutoencoderKL.load(model);
        NDManager manager = Torch.newManager()) {
      int f = vae.config().downsamplingFactor();
      long[] xs = x.shape();
      long[] expectedNoise = {xs[0], vae.config().embedDim(), xs[2] / f, xs[3] / f};
      if (noise != null && !Arrays.equals(noise.shape(), expectedNoise)) {
        throw new CheckpointFormatException(
            input,
            "tensor 'noise' has shape "
                + Arrays.toString(noise.shape())
                + ", the latent of 'x' "
                + Arrays.toString(xs)
                + " is "
                + Arrays.toString(expectedNoise));
      }
      // One pass gives mean and logvar stacked as the moments; split after the batches are joined.
      TensorData moments =
          VaeTensorFiles.mapBatches(
              manager,
              input,
              "x",
              x.toNDArray(manager),
              batchSize,
              images -> {
                try (DiagonalGaussian posterior = vae.encodeMoments(images)) {
                  return posterior.mean().concat(posterior.logvar(), 1);
                }
              });
      try (NDArray stacked = moments.toNDArray(manager);
          DiagonalGaussian posterior = DiagonalGaussian.fromMoments(stacked)) {
        out.put("mean", TensorData.of(posterior.mean()));
        out.put("logvar", TensorData.of(posterior.logvar()));
        if (noise != null) {
          out.put("latent", TensorData.of(vae.latentFrom(posterior, noise.toNDArray(manager))));
        }
      }
    }
    SafetensorsWriter.write(
        output, out, Map.of("vae", model.toString(), "source", input.toString()));
    return 0;
  }
}
