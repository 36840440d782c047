package org.l2cbeam.pipelines.cli;

import static org.l2cbeam.pipelines.cli.BenchMeasures.alternated;
import static org.l2cbeam.pipelines.cli.BenchMeasures.matmulGflops;
import static org.l2cbeam.pipelines.cli.BenchMeasures.median;
import static org.l2cbeam.pipelines.cli.BenchMeasures.processCpuSeconds;
import static org.l2cbeam.pipelines.cli.BenchMeasures.reportForward;
import static org.l2cbeam.pipelines.cli.BenchMeasures.reportSpeedup;
import static org.l2cbeam.pipelines.cli.BenchMeasures.resourceFile;
import static org.l2cbeam.pipelines.cli.BenchMeasures.round;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import com.google.gson.Gson;
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
import org.l2cbeam.core.router.UnitMacs;
import org.l2cbeam.core.runtime.Torch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code l2c bench uvit}: U-ViT speed with random weights (speed does not depend on the values), in
 * the form of {@code l2c bench dit}: one line per figure, then one JSON object.
 *
 * <ol>
 *   <li>1024³ fp32 matmul GFLOP/s (the machine's dense rate, same process);
 *   <li>U-ViT forward at batch 1 (one CFG branch: U-ViT's guidance is two calls, not a doubled
 *       batch): median latency and GFLOP/s at 2 FLOP per MAC;
 *   <li>NFE-20 DPM-Solver++(2S) with CFG 1.4 (40 forward calls), plain and with the official {@code
 *       dpm20_router.pth} at θ = 0.9: time (mean of {@code --sampling-runs} runs of each,
 *       alternated plain, router, router, plain), realised speedup, and the MAC-weighted
 *       theoretical speedup of that schedule. For models other than U-ViT-H/2 the 58-unit mask is
 *       resampled by layer position (layer ℓ of L uses official layer ⌊29·ℓ/L⌋). The VAE decode is
 *       not included (the original's latency includes it; {@code l2c bench vae}).
 * </ol>
 */
@Command(
    name = "uvit",
    description = "U-ViT forward / DPM-Solver / L2C speed with random weights; last line is JSON.")
final class BenchUViTCommand implements Callable<Integer> {
  private static final String ROUTER = "org/l2cbeam/bench/dpm20_router.pth";
  private static final int NFE = 20;

  @Option(
      names = "--model",
      defaultValue = "h",
      paramLabel = "h|l|m|s",
      description =
          "U-ViT size at 256 px (latent 32, patch 2): h = U-ViT-H/2 (the L2C model), l, m, s; default"
              + " ${DEFAULT-VALUE}")
  String model;

  @Option(names = "--quick", description = "a quick run: U-ViT-S/2, 3 timed forwards")
  boolean quick;

  @Option(
      names = "--runs",
      defaultValue = "5",
      paramLabel = "N",
      description = "timed forwards (median); default ${DEFAULT-VALUE}")
  int runs;

  @Option(
      names = "--sampling-runs",
      defaultValue = "2",
      paramLabel = "N",
      description =
          "NFE-20 runs per variant, alternated plain, router, router, plain, ... so that a change of machine"
              + " load during the benchmark hits both alike; the mean time of each is reported; default ${DEFAULT-VALUE}")
  int samplingRuns;

  @Mixin KernelOptions kernelOptions = new KernelOptions();

  @Override
  public Integer call() throws Exception {
    if (quick) {
      if (model.equals("h")) model = "s";
      runs = Math.min(runs, 3);
      samplingRuns = 1;
    }
    if (runs < 1) throw new IllegalArgumentException("--runs must be at least 1, got " + runs);
    if (samplingRuns < 1) {
      throw new IllegalArgumentException("--sampling-runs must be at least 1, got " + samplingRuns);
    }
    UViTConfig cfg = config(model);
    Torch.inferenceMode();
    RouterScores router = RouterScores.load(resourceFile(ROUTER), ModelFamily.UVIT);
    CacheSchedule schedule = router.schedule(0.9).resampledToLayers(cfg.layers());
    Map<String, Object> json = new LinkedHashMap<>();
    json.put("model", name(model));
    try (NDManager root = Torch.newManager()) {
      double matmul = matmulGflops(root);
      System.out.printf(Locale.ROOT, "matmul 1024^3 fp32: %.1f GFLOP/s%n", matmul);
      System.out.printf(
          "%s random weights (%s), latent %dx%dx%d, batch 1 per call...%n",
          name(model), cfg, cfg.inChannels, cfg.imageSize, cfg.imageSize);
      try (UViT uvit = UViT.randomWeights(cfg, 0, kernelOptions.execution())) {
        UnitMacs macs = uvit.macs();
        double fullMacs = macs.fullForward();
        double gemm =
            BenchMeasures.gemmGflops(cfg.hidden, cfg.mlpHidden, cfg.tokens(), uvit.execution());
        reportForward(
            json,
            forwardMedian(uvit, root),
            runs,
            2 * fullMacs,
            fullMacs / 1e9,
            matmul,
            gemm,
            uvit.execution());
        UViTSampler plainSampler = sampler(uvit, null);
        UViTSampler routerSampler = sampler(uvit, schedule);
        double[][] t =
            alternated(
                samplingRuns,
                "NFE20",
                "plain",
                () -> samplingSeconds(plainSampler, uvit, root),
                "router",
                () -> samplingSeconds(routerSampler, uvit, root));
        double[] plain = t[0];
        double[] routed = t[1];
        double theoretical = macs.speedup(schedule);
        System.out.printf(
            Locale.ROOT,
            "DPM-Solver NFE20 (CFG 1.4, 40 calls) plain: %.2f s (%.2f CPU-s)%s%n",
            plain[0],
            plain[1],
            samplingRuns > 1
                ? ", mean of " + samplingRuns + " runs alternated with the router runs"
                : "");
        System.out.printf(
            Locale.ROOT,
            "DPM-Solver NFE20 with the dpm20 router at theta=0.9: %.2f s; %.1f%% of unit"
                + " evaluations computed; speedup %.3f realised vs %.3f theoretical (MAC-weighted), ratio %.3f%n",
            routed[0],
            100 * routerSampler.computedFraction(),
            plain[0] / routed[0],
            theoretical,
            plain[0] / routed[0] / theoretical);
        reportSpeedup(json, "dpm20", plain, routed, theoretical);
        json.put("sampling_runs", samplingRuns);
        json.put("computed_unit_fraction", round(routerSampler.computedFraction()));
      }
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

  /** {median wall ms, median process CPU seconds} of a batch-1 forward. */
  private double[] forwardMedian(UViT uvit, NDManager root) {
    UViTConfig c = uvit.config();
    double[] t = new double[runs];
    double[] cpu = new double[runs];
    for (int i = -1; i < runs; i++) {
      try (NDManager s = root.newSubManager()) {
        NDArray x = s.randomNormal(new Shape(1, c.inChannels, c.imageSize, c.imageSize));
        double c0 = processCpuSeconds();
        long t0 = System.nanoTime();
        uvit.forward(x, new float[] {500.5f}, new long[] {207}).getFloat(0, 0, 0, 0);
        if (i >= 0) {
          t[i] = (System.nanoTime() - t0) / 1e6;
          cpu[i] = processCpuSeconds() - c0;
        }
      }
    }
    return new double[] {median(t), median(cpu)};
  }

  private static UViTSampler sampler(UViT uvit, CacheSchedule schedule) {
    return new UViTSampler(
        uvit, new DpmSolver2S(DiscreteVpSchedule.stableDiffusion(), NFE), 1.4, schedule);
  }

  /** {wall seconds, process CPU seconds} of one NFE-20 run for one image with CFG. */
  private static double[] samplingSeconds(UViTSampler sampler, UViT uvit, NDManager root) {
    UViTConfig c = uvit.config();
    try (NDManager s = root.newSubManager()) {
      NDArray z = s.randomNormal(new Shape(1, c.inChannels, c.imageSize, c.imageSize));
      double c0 = processCpuSeconds();
      long t0 = System.nanoTime();
      sampler.sample(z, new long[] {207}, null).getFloat(0, 0, 0, 0);
      return new double[] {(System.nanoTime() - t0) / 1e9, processCpuSeconds() - c0};
    }
  }
}
