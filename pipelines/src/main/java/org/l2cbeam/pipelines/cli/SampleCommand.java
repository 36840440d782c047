package org.l2cbeam.pipelines.cli;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import org.l2cbeam.core.diffusion.SamplerKind;
import org.l2cbeam.core.diffusion.SamplingRun;
import org.l2cbeam.core.diffusion.SeededNoise;
import org.l2cbeam.core.io.SafetensorsWriter;
import org.l2cbeam.core.io.TensorData;
import org.l2cbeam.core.io.WeightMap;
import org.l2cbeam.core.model.DiffusionTransformer;
import org.l2cbeam.core.router.CacheSchedule;
import org.l2cbeam.core.router.ModelFamily;
import org.l2cbeam.core.router.RouterScores;
import org.l2cbeam.core.runtime.Torch;
import org.l2cbeam.core.vae.AutoencoderKL;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code l2c sample}: class-conditional latents from a DiT (respaced DDIM or DDPM) or a U-ViT
 * (DPM-Solver++(2S)), optionally with an L2C router schedule; the family comes from the checkpoint,
 * the run from core's {@link SamplingRun}. Output tensors: {@code samples} [N,C,H,W] (the
 * conditional half) and, with {@code --trajectory}, {@code trajectory} [steps,N,C,H,W] (x after
 * each sampler step, in execution order); with {@code --vae}, {@code images} [N,3,8H,8W] and {@code
 * images_uint8} [N,8H,8W,3] (the family's rounding).
 */
@Command(
    name = "sample",
    description =
        "Sample latents from a DiT (DDIM / DDPM) or a U-ViT (DPM-Solver++(2S)), CFG, optional L2C router schedule.")
final class SampleCommand implements Callable<Integer> {
  @Mixin ModelCheckpointOptions checkpoint;

  @Option(
      names = "--steps",
      required = true,
      paramLabel = "N",
      description =
          "DiT: sampling steps, the 1000-step process respaced as space_timesteps(1000, \"N\"); U-ViT: the"
              + " number of network evaluations NFE (even: NFE/2 DPM-Solver-2 steps)")
  int steps;

  @Option(
      names = "--sampler",
      paramLabel = "ddim|ddpm|dpm-solver",
      description =
          "DiT: ddim (eta = 0, the L2C setting; the default) or ddpm (ancestral, learned variance);"
              + " U-ViT: dpm-solver (DPM-Solver++(2S), the default)")
  String sampler;

  @Option(
      names = "--cfg-scale",
      paramLabel = "W",
      description =
          "classifier-free guidance weight w, eps = u + w (c - u); default 1.5 for DiT (> 1 doubles the batch"
              + " with the null class), 1.4 for U-ViT (two calls; the original's scale s = 0.4 is w = 1 + s)")
  Double cfgScale;

  @Option(
      names = "--labels",
      required = true,
      paramLabel = "L1,L2,...",
      description = "one class label per sample")
  String labels;

  @Option(
      names = "--seed",
      defaultValue = "0",
      paramLabel = "K",
      description =
          "sample i uses the Gaussian stream of seed K+i (independent of batching); default ${DEFAULT-VALUE}")
  long seed;

  @Option(
      names = "--noise",
      paramLabel = "NOISE.safetensors",
      description =
          "initial latents 'z' [N,C,H,W], one row per label (not doubled); default: seeded noise")
  Path noise;

  @Option(
      names = "--router",
      paramLabel = "R",
      description =
          "L2C router: an official checkpoint (e.g. DDIM20_router.pt), a router tensor file or our JSON artifact;"
              + " its row count must equal --steps")
  Path router;

  @Option(
      names = "--theta",
      paramLabel = "T",
      description =
          "with --router: unit u of cache step k is computed iff sigmoid(p_k[u]) > T; default 0.1 for DiT"
              + " (the DiT-XL/2 256px setting), 0.9 for U-ViT")
  Double theta;

  @Option(names = "--trajectory", description = "also write 'trajectory' [steps,N,C,H,W]")
  boolean trajectory;

  @Option(
      names = "--output",
      required = true,
      paramLabel = "OUT.safetensors",
      description = "receives 'samples'")
  Path output;

  @Option(
      names = "--vae",
      paramLabel = "VAE",
      description =
          "Stable-Diffusion VAE (LDM or diffusers layout): also write 'images' [N,3,8H,8W] float and"
              + " 'images_uint8' [N,8H,8W,3] (the model family's rounding); decoded after sampling, outside"
              + " 'sampling_seconds'")
  Path vae;

  @Override
  public Integer call() throws Exception {
    long[] classes = CommandInputs.parseLabels(labels);
    CommandInputs.checkSeed(seed, classes.length);
    CommandInputs.checkTheta(theta);
    ModelFamily family = checkpoint.checkpoint().family();
    SamplerKind kind = samplerKind(family);
    kind.checkRuns(family, "--sampler");
    kind.checkSteps(steps, "--steps");
    int n = classes.length;
    TensorData z = null;
    if (noise != null) {
      z =
          CommandInputs.require(
              WeightMap.open(noise), "z", 4, true, "initial latents [N, C, H, W]");
      if (z.shape()[0] != n) {
        throw new IllegalArgumentException(
            noise
                + ": tensor 'z' has "
                + z.shape()[0]
                + " rows but --labels gives "
                + n
                + " labels");
      }
    }
    double cfg = cfgScale == null ? family.defaultCfgScale() : cfgScale;
    double t = theta == null ? family.defaultTheta() : theta;
    Map<String, TensorData> out = new LinkedHashMap<>();
    Map<String, String> meta = new LinkedHashMap<>();
    Torch.inferenceMode();
    try (NDManager manager = Torch.newManager();
        DiffusionTransformer model = checkpoint.load();
        AutoencoderKL decoder = vae == null ? null : AutoencoderKL.load(vae)) {
      model.checkLabels(classes);
      long[] shape = {n, model.inChannels(), model.inputSize(), model.inputSize()};
      long latent = n * shape[1] * shape[2] * shape[3];
      long pixels = decoder == null ? 0 : latent / shape[1] * 3 * 64;
      SamplingRun run =
          SamplingRun.of(model)
              .sampler(kind)
              .steps(steps)
              .cfgScale(cfg)
              .guidedChannels(checkpoint.guidedChannels())
              .schedule(cacheSchedule(family, model.units(), t))
              .vae(decoder)
              .trajectory(trajectory)
              .build();
      CommandInputs.checkOutputRoom(
          output, latent * (trajectory ? run.samplerSteps() + 1 : 1) + pixels, pixels);
      SeededNoise streams = SeededNoise.consecutive(seed, n);
      NDArray z0 =
          z != null ? z.toNDArray(manager) : streams.initial(manager, shape[1], shape[2], shape[3]);
      if (!z0.getShape().equals(new Shape(shape))) {
        throw new IllegalArgumentException(
            noise
                + ": tensor 'z' has shape "
                + z0.getShape()
                + " but the model expects "
                + Arrays.toString(shape));
      }
      SamplingRun.Result r = run.sample(z0, streams, classes);
      meta.put("sampling_seconds", Double.toString(r.samplingNanos() / 1e9));
      out.put("samples", TensorData.ofFloats(shape, r.samples()));
      if (decoder != null) {
        // The decode is not part of the L2C speedup: the original times the sampler only.
        meta.put("decode_seconds", Double.toString(r.decodeNanos() / 1e9));
        long[] nchw = r.imageShape();
        out.put("images", TensorData.ofFloats(nchw, r.images()));
        out.put(
            "images_uint8",
            TensorData.ofBytes(new long[] {nchw[0], nchw[2], nchw[3], nchw[1]}, r.pixels()));
        meta.put("vae", vae.toString());
      }
      if (trajectory) {
        out.put(
            "trajectory",
            TensorData.ofFloats(
                new long[] {run.samplerSteps(), n, shape[1], shape[2], shape[3]}, r.trajectory()));
      }
      meta.put("model", checkpoint.model);
      meta.put("family", family.id());
      meta.put("config", model.describe().toString());
      meta.put("sampler", kind.cliName());
      meta.put("steps", Integer.toString(steps));
      meta.put("cfg_scale", Double.toString(cfg));
      meta.put("guidance", run.guidance() == null ? "none" : run.guidance().toString());
      meta.put("labels", labels);
      meta.put("seed", noise != null ? "noise file " + noise : Long.toString(seed));
      if (router != null) {
        meta.put("router", router.toString());
        meta.put("theta", Double.toString(t));
      }
      meta.put("computed_unit_fraction", Double.toString(r.computedFraction()));
    }
    SafetensorsWriter.write(output, out, meta);
    return 0;
  }

  /** {@code --sampler}, or the family's (DDIM for a DiT, DPM-Solver++(2S) for a U-ViT). */
  private SamplerKind samplerKind(ModelFamily family) {
    if (sampler == null) return SamplingRun.defaultSampler(family);
    try {
      return SamplerKind.parse(sampler);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("--sampler: " + e.getMessage(), e);
    }
  }

  /**
   * The static L2C schedule from {@code --router} at θ {@code t}, or null for the plain sampler.
   */
  private CacheSchedule cacheSchedule(ModelFamily family, int units, double t) {
    if (router == null) {
      return null;
    }
    RouterScores scores = RouterScores.load(router, family);
    if (scores.nfe() != steps || scores.units() != units) {
      throw new IllegalArgumentException(
          router
              + ": the router has "
              + scores.nfe()
              + " steps x "
              + scores.units()
              + " units, but --steps is "
              + steps
              + " and the model has "
              + units
              + " cache units");
    }
    return scores.schedule(t);
  }
}
