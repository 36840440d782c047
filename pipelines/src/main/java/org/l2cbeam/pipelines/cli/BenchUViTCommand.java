package org.l2cbeam.pipelines.cli;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import com.google.gson.Gson;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import org.l2cbeam.core.diffusion.DiscreteVpSchedule;
import org.l2cbeam.core.diffusion.DpmSolver2S;
import org.l2cbeam.core.diffusion.UViTSampler;
import org.l2cbeam.core.model.UViT;
import org.l2cbeam.core.model.UViTConfig;
import org.l2cbeam.core.router.CacheSchedule;
import org.l2cbeam.core.router.ModelFamily;
import org.l2cbeam.core.router.RouterScores;
import org.l2cbeam.core.runtime.Torch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code l2c bench uvit}: U-ViT speed with random weights (speed does not depend on the values), in the form of
 * {@code l2c bench dit}: one line per figure, then one JSON object.
 *
 * <ol>
 *   <li>U-ViT forward at batch 1 (one CFG branch: U-ViT's guidance is two calls, not a doubled batch): median
 *       latency and GFLOP/s at 2 FLOP per MAC;
 *   <li>NFE-20 DPM-Solver++(2S) with CFG 1.4 (40 forward calls), plain and with the official {@code dpm20_router.pth}
 *       at θ = 0.9: time, realised speedup, and the MAC-weighted theoretical speedup of that schedule. For models
 *       other than U-ViT-H/2 the 58-unit mask is resampled by layer position (layer ℓ of L uses official layer
 *       ⌊29·ℓ/L⌋). The VAE decode is not included (the original's latency includes it; {@code l2c bench vae}).
 * </ol>
 */
@Command(name = "uvit", description = "U-ViT forward / DPM-Solver / L2C speed with random weights; last line is JSON.")
final class BenchUViTCommand implements Callable<Integer> {
  private static final String ROUTER = "org/l2cbeam/bench/dpm20_router.pth";
  private static final int OFFICIAL_LAYERS = 29;
  private static final int NFE = 20;

  @Option(names = "--model", defaultValue = "h", paramLabel = "h|l|m|s",
      description = "U-ViT size at 256 px (latent 32, patch 2): h = U-ViT-H/2 (the L2C model), l, m, s; default"
          + " ${DEFAULT-VALUE}")
  String model;

  @Option(names = "--quick", description = "a quick run: U-ViT-S/2, 3 timed forwards")
  boolean quick;

  @Option(names = "--runs", defaultValue = "5", paramLabel = "N", description = "timed forwards (median); default ${DEFAULT-VALUE}")
  int runs;

  @Override
  public Integer call() throws Exception {
    if (quick) {
      if (model.equals("h")) model = "s";
      runs = Math.min(runs, 3);
    }
    if (runs < 1) throw new IllegalArgumentException("--runs must be at least 1, got " + runs);
    UViTConfig cfg = config(model);
    Torch.inferenceMode();
    RouterScores router = RouterScores.load(routerFile(), ModelFamily.UVIT);
    CacheSchedule schedule = resample(router.schedule(0.9), cfg.layers());
    Map<String, Object> json = new LinkedHashMap<>();
    json.put("model", name(model));
    System.out.printf("%s random weights (%s), latent %dx%dx%d, batch 1 per call...%n", name(model), cfg,
        cfg.inChannels, cfg.imageSize, cfg.imageSize);
    try (NDManager root = Torch.newManager(); UViT uvit = UViT.randomWeights(cfg, 0)) {
      double[] macs = macsPerImage(cfg);
      double fullMacs = cfg.layers() * (macs[0] + macs[1]) + macs[2];
      double forwardMs = forwardMedianMs(uvit, root);
      double gflops = 2 * fullMacs / (forwardMs / 1e3) / 1e9;
      System.out.printf(Locale.ROOT, "forward: median %.1f ms over %d runs, %.1f GFLOP/s (%.1f GMAC per image)%n",
          forwardMs, runs, gflops, fullMacs / 1e9);
      double plainS = samplingSeconds(uvit, root, null);
      System.out.printf(Locale.ROOT, "DPM-Solver NFE20 (CFG 1.4, 40 calls) plain: %.2f s%n", plainS);
      UViTSampler[] used = new UViTSampler[1];
      double routerS = samplingSeconds(uvit, root, schedule, used);
      double theoretical = theoreticalSpeedup(cfg, schedule);
      System.out.printf(Locale.ROOT, "DPM-Solver NFE20 with the dpm20 router at theta=0.9: %.2f s; %.1f%% of unit"
          + " evaluations computed; speedup %.3f realised vs %.3f theoretical (MAC-weighted), ratio %.3f%n", routerS,
          100 * used[0].computedFraction(), plainS / routerS, theoretical, plainS / routerS / theoretical);
      json.put("forward_ms_median", round(forwardMs));
      json.put("forward_gflops", round(gflops));
      json.put("dpm20_s", round(plainS));
      json.put("dpm20_router_s", round(routerS));
      json.put("computed_unit_fraction", round(used[0].computedFraction()));
      json.put("speedup", round(plainS / routerS));
      json.put("theoretical_speedup", round(theoretical));
    }
    System.out.println(new Gson().toJson(json));
    return 0;
  }

  /** U-ViT's ImageNet-256 family (configs/imagenet256_uvit_*.py and the U-ViT paper's table). */
  static UViTConfig config(String size) {
    switch (size.trim().toLowerCase(Locale.ROOT)) {
      case "h":
        return UViTConfig.huge256();
      case "l":
        return new UViTConfig(32, 2, 4, 1024, 10, 16, 4096, 1001);
      case "m":
        return new UViTConfig(32, 2, 4, 768, 8, 12, 3072, 1001);
      case "s":
        return new UViTConfig(32, 2, 4, 512, 6, 8, 2048, 1001);
      default:
        throw new IllegalArgumentException("--model must be h, l, m or s, got '" + size + "'");
    }
  }

  private static String name(String size) {
    return "U-ViT-" + size.trim().toUpperCase(Locale.ROOT) + "/2";
  }

  /**
   * MACs per image and forward: {attention unit, MLP unit, everything else}. Attention: qkv 3D², q·kᵀ and attn·v
   * 2·T·D per token, proj D²; MLP: 2·D·mlp; the rest: skip_linear 2D² on half the layers (averaged in), patch
   * embedding and decoder.
   */
  static double[] macsPerImage(UViTConfig c) {
    double t = c.tokens();
    double d = c.hidden;
    double attention = t * (4 * d * d + 2 * t * d);
    double mlp = t * 2 * d * c.mlpHidden;
    double p = (double) c.patchSize * c.patchSize * c.inChannels;
    double rest = c.halfDepth * t * 2 * d * d + (t - 2) * p * d + t * d * p;
    return new double[] {attention, mlp, rest};
  }

  private double forwardMedianMs(UViT uvit, NDManager root) {
    UViTConfig c = uvit.config();
    double[] t = new double[runs];
    for (int i = -1; i < runs; i++) {
      try (NDManager s = root.newSubManager()) {
        NDArray x = s.randomNormal(new Shape(1, c.inChannels, c.imageSize, c.imageSize));
        long t0 = System.nanoTime();
        uvit.forward(x, new float[] {500.5f}, new long[] {207}).getFloat(0, 0, 0, 0);
        if (i >= 0) t[i] = (System.nanoTime() - t0) / 1e6;
      }
    }
    return median(t);
  }

  private static double samplingSeconds(UViT uvit, NDManager root, CacheSchedule schedule, UViTSampler... used) {
    UViTConfig c = uvit.config();
    UViTSampler sampler =
        new UViTSampler(uvit, new DpmSolver2S(DiscreteVpSchedule.stableDiffusion(), NFE), 1.4, schedule);
    if (used.length > 0) used[0] = sampler;
    try (NDManager s = root.newSubManager()) {
      NDArray z = s.randomNormal(new Shape(1, c.inChannels, c.imageSize, c.imageSize));
      long t0 = System.nanoTime();
      sampler.sample(z, new long[] {207}, null).getFloat(0, 0, 0, 0);
      return (System.nanoTime() - t0) / 1e9;
    }
  }

  /** The official 58-unit schedule mapped onto {@code layers} layers by relative position. */
  static CacheSchedule resample(CacheSchedule official, int layers) {
    if (layers == OFFICIAL_LAYERS) return official;
    boolean[][] c = new boolean[official.steps()][2 * layers];
    for (int k = 0; k < c.length; k++) {
      for (int l = 0; l < layers; l++) {
        int src = l * OFFICIAL_LAYERS / layers;
        c[k][2 * l] = official.computes(k, 2 * src);
        c[k][2 * l + 1] = official.computes(k, 2 * src + 1);
      }
    }
    return new CacheSchedule(c);
  }

  /**
   * Plain MACs over MACs under the schedule, over all NFE evaluations: only the first evaluation of outer steps
   * 1..K−1 is a cache evaluation (both CFG calls alike, so the doubling cancels).
   */
  static double theoreticalSpeedup(UViTConfig cfg, CacheSchedule schedule) {
    double[] macs = macsPerImage(cfg);
    double full = cfg.layers() * (macs[0] + macs[1]) + macs[2];
    double plain = 0;
    double cached = 0;
    for (int k = 0; k < schedule.steps(); k++) {
      plain += 2 * full;
      cached += full; // the midpoint evaluation is always full
      double first = macs[2];
      for (int u = 0; u < schedule.units(); u++) {
        if (k == 0 || schedule.computes(k, u)) first += u % 2 == 0 ? macs[0] : macs[1];
      }
      cached += first;
    }
    return plain / cached;
  }

  private static Path routerFile() throws IOException {
    Path tmp = Files.createTempFile("l2c-bench-", "-dpm20_router.pth");
    tmp.toFile().deleteOnExit();
    try (InputStream in = BenchUViTCommand.class.getClassLoader().getResourceAsStream(ROUTER)) {
      if (in == null) throw new IllegalStateException("missing classpath resource " + ROUTER);
      Files.copy(in, tmp, StandardCopyOption.REPLACE_EXISTING);
    }
    return tmp;
  }

  private static double median(double[] v) {
    double[] s = v.clone();
    Arrays.sort(s);
    return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
  }

  private static double round(double v) {
    return Math.round(v * 1e4) / 1e4;
  }
}
