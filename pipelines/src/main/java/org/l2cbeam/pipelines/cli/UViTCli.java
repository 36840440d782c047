package org.l2cbeam.pipelines.cli;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import org.l2cbeam.core.assets.BuiltinAssets;
import org.l2cbeam.core.diffusion.DiscreteVpSchedule;
import org.l2cbeam.core.diffusion.DpmSolver2S;
import org.l2cbeam.core.diffusion.Guidance;
import org.l2cbeam.core.diffusion.SeededNoise;
import org.l2cbeam.core.diffusion.UViTSampler;
import org.l2cbeam.core.image.SampleQuantization;
import org.l2cbeam.core.io.SafetensorsWriter;
import org.l2cbeam.core.io.TensorData;
import org.l2cbeam.core.io.WeightMap;
import org.l2cbeam.core.model.LayerCache;
import org.l2cbeam.core.model.UViT;
import org.l2cbeam.core.model.UViTConfig;
import org.l2cbeam.core.model.UnitPlan;
import org.l2cbeam.core.router.CacheSchedule;
import org.l2cbeam.core.router.ModelFamily;
import org.l2cbeam.core.router.RouterScores;
import org.l2cbeam.core.runtime.Torch;
import org.l2cbeam.core.vae.AutoencoderKL;

/**
 * The U-ViT side of {@code l2c forward} and {@code l2c sample}: the commands detect the model family from the
 * checkpoint's keys and hand U-ViT checkpoints here. Differences from DiT, all from the original code:
 * {@code t} is the float the network receives (continuous time × 1000), CFG is two calls (cond with {@code y}, then
 * uncond with the null label) combined on all channels as {@code u + w·(c − u)} (the original's scale 0.4 is
 * {@code --cfg-scale 1.4}), and the sampler is DPM-Solver++(2S).
 */
final class UViTCli {
  /** The original's guidance {@code 1 + sample.scale} = 1 + 0.4. */
  static final double DEFAULT_CFG_SCALE = 1.4;

  private UViTCli() {}

  /** True if {@code location} (a path or {@code builtin:} name) holds a U-ViT state dict. */
  static boolean isUViT(String location) {
    return UViTConfig.matches(WeightMap.open(BuiltinAssets.resolve(location)));
  }

  static UViT load(String location, int heads) {
    return UViT.load(WeightMap.open(BuiltinAssets.resolve(location)), heads);
  }

  /** {@code l2c forward} for a U-ViT: IN {@code x} F32, {@code t} F32, {@code y} I64 [, {@code x2}, {@code t_cache}]. */
  static int forward(ForwardCommand c) throws Exception {
    WeightMap in = WeightMap.open(c.input);
    TensorData x = DiTCliSupport.require(in, "x", 4, true, "latents [N, C, H, W]");
    TensorData t = DiTCliSupport.require(in, "t", 1, true, "U-ViT network time [N]: continuous time x 1000, float");
    TensorData y = DiTCliSupport.require(in, "y", 1, false, "class labels [N]");
    TensorData x2 = null;
    TensorData tCache = null;
    if (c.cacheMask != null) {
      x2 = DiTCliSupport.require(in, "x2", 4, true, "cache-step latents [N, C, H, W], needed by --cache-mask");
      tCache = DiTCliSupport.require(in, "t_cache", 1, true, "cache-step network time [N], needed by --cache-mask");
    }
    Map<String, TensorData> out = new LinkedHashMap<>();
    Torch.inferenceMode();
    try (NDManager manager = Torch.newManager(); UViT model = c.checkpoint.loadUViT()) {
      boolean[] mask = c.cacheMask == null ? null : DiTCliSupport.parseMask(c.cacheMask, model.units());
      Guidance guidance = c.cfgScale == null ? null : new Guidance(c.cfgScale, Guidance.Channels.ALL);
      try (LayerCache cond = new LayerCache(manager, model.units());
          LayerCache uncond = new LayerCache(manager, model.units())) {
        UnitPlan first = mask == null ? UnitPlan.computeAll(model.units()) : UnitPlan.recordAll(model.units());
        out.put("out", call(c.input, model, guidance, manager, x, t, y, first, cond, uncond));
        if (mask != null) {
          out.put("out_cache", call(c.input, model, guidance, manager, x2, tCache, y, UnitPlan.hard(mask), cond, uncond));
        }
      }
    }
    Map<String, String> meta = new LinkedHashMap<>();
    meta.put("model", c.checkpoint.model);
    meta.put("family", "uvit");
    meta.put("source", c.input.toString());
    if (c.cfgScale != null) meta.put("cfg_scale", c.cfgScale.toString());
    if (c.cacheMask != null) meta.put("cache_mask", c.cacheMask);
    SafetensorsWriter.write(c.output, out, meta);
    return 0;
  }

  private static TensorData call(
      Path input, UViT model, Guidance guidance, NDManager manager, TensorData x, TensorData t, TensorData y,
      UnitPlan plan, LayerCache condCache, LayerCache uncondCache) {
    try (NDManager scope = manager.newSubManager()) {
      NDArray xa = x.toNDArray(scope);
      float[] ta = t.toFloatArray();
      long[] ya = y.toLongArray();
      try {
        NDArray cond = model.forward(xa, ta, ya, plan, condCache);
        if (guidance == null) {
          return TensorData.of(cond);
        }
        long[] nul = new long[ya.length];
        Arrays.fill(nul, model.config().nullLabel());
        NDArray uncond = model.forward(xa, ta, nul, plan, uncondCache);
        return TensorData.of(guidance.combine(cond, uncond, model.config().inChannels));
      } catch (IllegalArgumentException e) {
        throw DiTCliSupport.inFile(input, e);
      }
    }
  }

  /** {@code l2c sample --sampler dpm-solver} for a U-ViT. */
  static int sample(SampleCommand c) throws Exception {
    String kind = c.sampler == null ? "dpm-solver" : c.sampler.toLowerCase(Locale.ROOT);
    if (!kind.equals("dpm-solver")) {
      throw new IllegalArgumentException(
          "--sampler " + c.sampler + ": U-ViT checkpoints sample with --sampler dpm-solver (DPM-Solver++(2S), as the"
              + " original); ddim/ddpm are the DiT samplers");
    }
    DpmSolver2S solver = new DpmSolver2S(DiscreteVpSchedule.stableDiffusion(), c.steps);
    long[] classes = DiTCliSupport.parseLabels(c.labels);
    int n = classes.length;
    double cfgScale = c.cfgScale == null ? DEFAULT_CFG_SCALE : c.cfgScale;
    Map<String, TensorData> out = new LinkedHashMap<>();
    Map<String, String> meta = new LinkedHashMap<>();
    Torch.inferenceMode();
    try (NDManager manager = Torch.newManager();
        UViT model = c.checkpoint.loadUViT();
        AutoencoderKL decoder = c.vae == null ? null : AutoencoderKL.load(c.vae)) {
      UViTConfig cfg = model.config();
      if (decoder != null && decoder.config().embedDim() != cfg.inChannels) {
        throw new IllegalArgumentException(
            "--vae " + c.vae + " decodes " + decoder.config().embedDim() + "-channel latents but the U-ViT samples "
                + cfg.inChannels + " channels");
      }
      for (long label : classes) {
        if (label < 0 || label >= cfg.nullLabel()) {
          throw new IllegalArgumentException(
              "--labels: label " + label + " is out of range: this U-ViT has classes 0.." + (cfg.nullLabel() - 1)
                  + " (" + cfg.nullLabel() + " is the null label)");
        }
      }
      Shape expected = new Shape(n, cfg.inChannels, cfg.imageSize, cfg.imageSize);
      long pixels = c.vae == null ? 0 : expected.size() / cfg.inChannels * 3 * 64;
      DiTCliSupport.checkOutputRoom(
          c.output, expected.size() * (c.trajectory ? solver.outerSteps() + 1 : 1) + pixels, pixels);
      NDArray z0;
      if (c.noise != null) {
        TensorData z = DiTCliSupport.require(WeightMap.open(c.noise), "z", 4, true, "initial noise [N, C, H, W]");
        z0 = z.toNDArray(manager);
        if (!z0.getShape().equals(expected)) {
          throw new IllegalArgumentException(
              c.noise + ": tensor 'z' has shape " + z0.getShape() + " but " + n + " labels and the model need "
                  + expected);
        }
      } else {
        z0 = SeededNoise.consecutive(c.seed, n).initial(manager, cfg.inChannels, cfg.imageSize, cfg.imageSize);
      }
      double theta = c.theta == null ? ModelFamily.UVIT.defaultTheta() : c.theta;
      CacheSchedule schedule = schedule(c.router, theta, c.steps, model.units());
      UViTSampler sampler = new UViTSampler(model, solver, cfgScale, schedule);
      int per = (int) expected.size();
      float[] traj = c.trajectory ? new float[solver.outerSteps() * per] : null;
      long samplingStart = System.nanoTime();
      NDArray samples = sampler.sample(z0, classes, (k, x) -> {
        if (traj != null) System.arraycopy(x.toFloatArray(), 0, traj, k * per, per);
      });
      meta.put("sampling_seconds", Double.toString((System.nanoTime() - samplingStart) / 1e9));
      out.put("samples", TensorData.of(samples));
      if (decoder != null) {
        // As in the DiT path, the decode is reported apart from the sampler's time.
        long decodeStart = System.nanoTime();
        TensorData images = VaeTensorFiles.mapBatches(manager, c.output, "samples", samples, 4, decoder::decode);
        meta.put("decode_seconds", Double.toString((System.nanoTime() - decodeStart) / 1e9));
        long[] nchw = images.shape();
        out.put("images", images);
        out.put("images_uint8", TensorData.ofBytes(new long[] {nchw[0], nchw[2], nchw[3], nchw[1]},
            SampleQuantization.UVIT.toNhwc(images.toFloatArray(), nchw)));
        meta.put("vae", c.vae.toString());
      }
      if (traj != null) {
        out.put("trajectory", TensorData.ofFloats(
            new long[] {solver.outerSteps(), n, cfg.inChannels, cfg.imageSize, cfg.imageSize}, traj));
      }
      meta.put("model", c.checkpoint.model);
      meta.put("family", "uvit");
      meta.put("config", cfg.toString());
      meta.put("sampler", "dpm-solver++(2S) singlestep, time-uniform 1 -> 1e-3");
      meta.put("steps", Integer.toString(c.steps));
      meta.put("cfg_scale", Double.toString(cfgScale));
      meta.put("labels", c.labels);
      meta.put("seed", c.noise != null ? "noise file " + c.noise : Long.toString(c.seed));
      if (c.router != null) {
        meta.put("router", c.router.toString());
        meta.put("theta", Double.toString(theta));
      }
      meta.put("computed_unit_fraction", Double.toString(sampler.computedFraction()));
    }
    SafetensorsWriter.write(c.output, out, meta);
    return 0;
  }

  /** The static schedule (one row per outer step) from {@code --router}, or null for the plain sampler. */
  static CacheSchedule schedule(Path router, double theta, int nfe, int units) {
    if (router == null) {
      return null;
    }
    RouterScores scores = RouterScores.load(router, ModelFamily.UVIT);
    if (scores.nfe() != nfe || scores.units() != units) {
      throw new IllegalArgumentException(
          router + ": the router has " + scores.nfe() + " steps x " + scores.units() + " units, but --steps is " + nfe
              + " and the model has " + units + " cache units");
    }
    return scores.schedule(theta);
  }
}
