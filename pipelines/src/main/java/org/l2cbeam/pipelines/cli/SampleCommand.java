package org.l2cbeam.pipelines.cli;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import org.l2cbeam.core.diffusion.DdimSampler;
import org.l2cbeam.core.diffusion.DdpmSampler;
import org.l2cbeam.core.diffusion.DiTSampler;
import org.l2cbeam.core.diffusion.Guidance;
import org.l2cbeam.core.diffusion.NoiseSchedule;
import org.l2cbeam.core.diffusion.Sampler;
import org.l2cbeam.core.diffusion.SeededNoise;
import org.l2cbeam.core.image.SampleQuantization;
import org.l2cbeam.core.io.SafetensorsWriter;
import org.l2cbeam.core.io.TensorData;
import org.l2cbeam.core.io.WeightMap;
import org.l2cbeam.core.model.DiT;
import org.l2cbeam.core.model.DiTConfig;
import org.l2cbeam.core.router.CacheSchedule;
import org.l2cbeam.core.router.ModelFamily;
import org.l2cbeam.core.router.RouterScores;
import org.l2cbeam.core.runtime.Torch;
import org.l2cbeam.core.vae.AutoencoderKL;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code l2c sample}: class-conditional latents from a DiT with the respaced DDIM or DDPM sampler, optionally with an
 * L2C router schedule. Output tensors: {@code samples} [N,C,H,W] (the conditional half) and, with
 * {@code --trajectory}, {@code trajectory} [steps,N,C,H,W] (x after each step, in execution order); with {@code --vae},
 * {@code images} [N,3,8H,8W] and {@code images_uint8} [N,8H,8W,3].
 */
@Command(
    name = "sample",
    description = "Sample latents from a DiT (DDIM / DDPM) or a U-ViT (DPM-Solver++(2S)), CFG, optional L2C router schedule.")
final class SampleCommand implements Callable<Integer> {
  @Mixin ModelCheckpointOptions checkpoint;

  @Option(names = "--steps", required = true, paramLabel = "N",
      description = "DiT: sampling steps, the 1000-step process respaced as space_timesteps(1000, \"N\"); U-ViT: the"
          + " number of network evaluations NFE (even: NFE/2 DPM-Solver-2 steps)")
  int steps;

  @Option(names = "--sampler", paramLabel = "ddim|ddpm|dpm-solver",
      description = "DiT: ddim (eta = 0, the L2C setting; the default) or ddpm (ancestral, learned variance);"
          + " U-ViT: dpm-solver (DPM-Solver++(2S), the default)")
  String sampler;

  @Option(names = "--cfg-scale", paramLabel = "W",
      description = "classifier-free guidance weight w, eps = u + w (c - u); default 1.5 for DiT (> 1 doubles the batch"
          + " with the null class), 1.4 for U-ViT (two calls; the original's scale s = 0.4 is w = 1 + s)")
  Double cfgScale;

  @Option(names = "--labels", required = true, paramLabel = "L1,L2,...", description = "one class label per sample")
  String labels;

  @Option(names = "--seed", defaultValue = "0", paramLabel = "K",
      description = "sample i uses the Gaussian stream of seed K+i (independent of batching); default ${DEFAULT-VALUE}")
  long seed;

  @Option(names = "--noise", paramLabel = "NOISE.safetensors",
      description = "initial latents 'z' [N,C,H,W], one row per label (not doubled); default: seeded noise")
  Path noise;

  @Option(names = "--router", paramLabel = "R",
      description = "L2C router: an official checkpoint (e.g. DDIM20_router.pt), a router tensor file or our JSON artifact;"
          + " its row count must equal --steps")
  Path router;

  @Option(names = "--theta", paramLabel = "T",
      description = "with --router: unit u of cache step k is computed iff sigmoid(p_k[u]) > T; default 0.1 for DiT"
          + " (the DiT-XL/2 256px setting), 0.9 for U-ViT")
  Double theta;

  @Option(names = "--trajectory", description = "also write 'trajectory' [steps,N,C,H,W]")
  boolean trajectory;

  @Option(names = "--output", required = true, paramLabel = "OUT.safetensors", description = "receives 'samples'")
  Path output;

  @Option(names = "--vae", paramLabel = "VAE",
      description = "Stable-Diffusion VAE (LDM or diffusers layout): also write 'images' [N,3,8H,8W] float and"
          + " 'images_uint8' [N,8H,8W,3] (the model family's rounding); decoded after sampling, outside"
          + " 'sampling_seconds'")
  Path vae;

  @Override
  public Integer call() throws Exception {
    DiTCliSupport.checkSeed(seed, DiTCliSupport.parseLabels(labels).length);
    DiTCliSupport.checkTheta(theta);
    if (checkpoint.isUViT()) {
      return UViTCli.sample(this);
    }
    if (steps < 1 || steps > NoiseSchedule.DEFAULT_TIMESTEPS) {
      throw new IllegalArgumentException("--steps must be in 1.." + NoiseSchedule.DEFAULT_TIMESTEPS + ", got " + steps);
    }
    String kind = sampler == null ? "ddim" : sampler.toLowerCase(Locale.ROOT);
    double cfgScale = this.cfgScale == null ? 1.5 : this.cfgScale;
    if (!kind.equals("ddim") && !kind.equals("ddpm")) {
      throw new IllegalArgumentException(
          "--sampler must be ddim or ddpm for a DiT, got '" + sampler + "'"
              + (kind.equals("dpm-solver") ? " (dpm-solver is the U-ViT sampler)" : ""));
    }
    long[] classes = DiTCliSupport.parseLabels(labels);
    int n = classes.length;
    TensorData z = null;
    if (noise != null) {
      z = DiTCliSupport.require(WeightMap.open(noise), "z", 4, true, "initial latents [N, C, H, W]");
      if (z.shape()[0] != n) {
        throw new IllegalArgumentException(
            noise + ": tensor 'z' has " + z.shape()[0] + " rows but --labels gives " + n + " labels");
      }
    }
    Map<String, TensorData> out = new LinkedHashMap<>();
    Map<String, String> meta = new LinkedHashMap<>();
    Torch.inferenceMode();
    try (NDManager manager = Torch.newManager();
        DiT dit = checkpoint.loadDiT(manager);
        AutoencoderKL decoder = vae == null ? null : AutoencoderKL.load(vae)) {
      DiTConfig cfg = dit.config();
      dit.checkLabels(classes, false);
      long latent = (long) n * cfg.inChannels * cfg.inputSize * cfg.inputSize;
      long pixels = decoder == null ? 0 : latent / cfg.inChannels * 3 * 64;
      DiTCliSupport.checkOutputRoom(output, latent * (trajectory ? steps + 1 : 1) + pixels, pixels);
      if (decoder != null && decoder.config().embedDim() != cfg.inChannels) {
        throw new IllegalArgumentException(
            "--vae " + vae + " decodes " + decoder.config().embedDim() + "-channel latents but the DiT samples "
                + cfg.inChannels + " channels");
      }
      NoiseSchedule schedule = NoiseSchedule.dit(steps);
      SeededNoise streams = SeededNoise.consecutive(seed, n);
      NDArray z0 =
          z != null ? z.toNDArray(manager) : streams.initial(manager, cfg.inChannels, cfg.inputSize, cfg.inputSize);
      if (z != null && !z0.getShape().equals(new ai.djl.ndarray.types.Shape(n, cfg.inChannels, cfg.inputSize,
          cfg.inputSize))) {
        throw new IllegalArgumentException(
            noise + ": tensor 'z' has shape " + z0.getShape() + " but the model expects [" + n + ", "
                + cfg.inChannels + ", " + cfg.inputSize + ", " + cfg.inputSize + "]");
      }
      Sampler s = kind.equals("ddim") ? new DdimSampler(schedule) : new DdpmSampler(schedule, streams);
      Guidance guidance = cfgScale > 1.0 ? checkpoint.ditGuidance(cfgScale, cfg.inChannels) : null;
      CacheSchedule cacheSchedule = cacheSchedule(steps, dit.units());
      DiTSampler ditSampler = new DiTSampler(dit, s, guidance, cacheSchedule);
      int per = n * cfg.inChannels * cfg.inputSize * cfg.inputSize;
      float[] traj = trajectory ? new float[steps * per] : null;
      int[] row = {0};
      long samplingStart = System.nanoTime();
      NDArray samples =
          ditSampler.sample(
              z0,
              classes,
              (k, sample, x0, modelOut) -> {
                if (traj != null) {
                  float[] all = sample.toFloatArray(); // conditional half = the first n rows
                  System.arraycopy(all, 0, traj, row[0] * per, per);
                }
                row[0]++;
              });
      meta.put("sampling_seconds", Double.toString((System.nanoTime() - samplingStart) / 1e9));
      out.put("samples", TensorData.of(samples));
      if (decoder != null) {
        // The decode is not part of the L2C speedup: the original times the sampler only.
        long decodeStart = System.nanoTime();
        TensorData images = VaeTensorFiles.mapBatches(manager, output, "samples", samples, 4, decoder::decode);
        meta.put("decode_seconds", Double.toString((System.nanoTime() - decodeStart) / 1e9));
        long[] nchw = images.shape();
        out.put("images", images);
        out.put("images_uint8", TensorData.ofBytes(new long[] {nchw[0], nchw[2], nchw[3], nchw[1]},
            SampleQuantization.DIT.toNhwc(images.toFloatArray(), nchw)));
        meta.put("vae", vae.toString());
      }
      if (traj != null) {
        out.put(
            "trajectory",
            TensorData.ofFloats(new long[] {steps, n, cfg.inChannels, cfg.inputSize, cfg.inputSize}, traj));
      }
      meta.put("model", checkpoint.model);
      meta.put("config", cfg.toMap().toString());
      meta.put("sampler", kind);
      meta.put("steps", Integer.toString(steps));
      meta.put("cfg_scale", Double.toString(cfgScale));
      meta.put("guidance", guidance == null ? "none" : guidance.toString());
      meta.put("labels", labels);
      meta.put("seed", Long.toString(seed));
      if (router != null) {
        meta.put("router", router.toString());
        meta.put("theta", Double.toString(ditTheta()));
      }
      meta.put("computed_unit_fraction", Double.toString(ditSampler.computedFraction()));
    }
    SafetensorsWriter.write(output, out, meta);
    return 0;
  }

  private double ditTheta() {
    return theta == null ? ModelFamily.DIT.defaultTheta() : theta;
  }

  /** The static L2C schedule from {@code --router}, or null for the plain sampler. */
  private CacheSchedule cacheSchedule(int steps, int units) {
    if (router == null) {
      return null;
    }
    RouterScores scores = RouterScores.load(router, ModelFamily.DIT);
    if (scores.nfe() != steps || scores.units() != units) {
      throw new IllegalArgumentException(
          router + ": the router has " + scores.nfe() + " steps x " + scores.units() + " units, but --steps is " + steps
              + " and the model has " + units + " cache units");
    }
    return scores.schedule(ditTheta());
  }
}
