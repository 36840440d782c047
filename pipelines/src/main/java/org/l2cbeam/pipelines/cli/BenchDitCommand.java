package org.l2cbeam.pipelines.cli;

import static org.l2cbeam.pipelines.cli.BenchMeasures.alternated;
import static org.l2cbeam.pipelines.cli.BenchMeasures.matmulGflops;
import static org.l2cbeam.pipelines.cli.BenchMeasures.median;
import static org.l2cbeam.pipelines.cli.BenchMeasures.procStatusBytes;
import static org.l2cbeam.pipelines.cli.BenchMeasures.processCpuSeconds;
import static org.l2cbeam.pipelines.cli.BenchMeasures.reportForward;
import static org.l2cbeam.pipelines.cli.BenchMeasures.reportSpeedup;
import static org.l2cbeam.pipelines.cli.BenchMeasures.resourceFile;
import static org.l2cbeam.pipelines.cli.BenchMeasures.round;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.jni.JniUtils;
import com.google.gson.Gson;
import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import org.l2cbeam.core.diffusion.DdimSampler;
import org.l2cbeam.core.diffusion.DiTSampler;
import org.l2cbeam.core.diffusion.Guidance;
import org.l2cbeam.core.diffusion.NoiseSchedule;
import org.l2cbeam.core.diffusion.StepListener;
import org.l2cbeam.core.model.DiT;
import org.l2cbeam.core.model.DiTConfig;
import org.l2cbeam.core.router.CacheSchedule;
import org.l2cbeam.core.router.ModelFamily;
import org.l2cbeam.core.router.RouterScores;
import org.l2cbeam.core.router.UnitMacs;
import org.l2cbeam.core.runtime.ComputeDevice;
import org.l2cbeam.core.runtime.Torch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code l2c bench dit}: DiT speed and memory with random weights (speed does not depend on the
 * values). Prints one line per figure and, last, one JSON object with the tracked keys.
 *
 * <ol>
 *   <li>1024³ fp32 matmul GFLOP/s (the machine's dense rate, same process);
 *   <li>DiT forward at batch 2 (one image with CFG): median latency and GFLOP/s at 2 FLOP per MAC;
 *   <li>20-step DDIM with CFG 1.5, plain and with the official DDIM20 router at θ=0.1: time (mean
 *       of {@code --ddim-runs} runs of each, alternated plain, router, router, plain), realised
 *       speedup, and the MAC-weighted theoretical speedup of that schedule. For depths other than
 *       28 the router's mask is resampled by block position (block i uses official block
 *       ⌊28·i/depth⌋);
 *   <li>RSS after 100 and after 1000 sampling steps with the L2C cache (half of them cache steps)
 *       on a smaller model ({@code --rss-model}, default DiT-S/4), to show native memory stays
 *       flat; run first, and printed first.
 * </ol>
 */
@Command(
    name = "dit",
    description =
        "DiT forward / DDIM / L2C speed and memory with random weights; last line is JSON.")
final class BenchDitCommand implements Callable<Integer> {
  private static final String ROUTER = "org/l2cbeam/bench/DDIM20_router.pt";

  @Option(
      names = "--model",
      defaultValue = "xl",
      paramLabel = "xl|l|b|s[/p]",
      description = "model size (and patch, default 2), e.g. xl, s, b/4; default ${DEFAULT-VALUE}")
  String model;

  @Option(
      names = "--quick",
      description = "a quick run: DiT-S/2, 3 timed forwards, RSS on DiT-S/8 over 200 steps")
  boolean quick;

  @Option(
      names = "--runs",
      defaultValue = "5",
      paramLabel = "N",
      description = "timed forwards (median); default ${DEFAULT-VALUE}")
  int runs;

  @Option(
      names = "--ddim-runs",
      defaultValue = "2",
      paramLabel = "N",
      description =
          "DDIM20 runs per variant, alternated plain, router, router, plain, ... so that a change of machine"
              + " load during the benchmark hits both alike; the mean time of each is reported; default ${DEFAULT-VALUE}")
  int ddimRuns;

  @Option(
      names = "--rss-model",
      defaultValue = "s/4",
      paramLabel = "SIZE",
      description = "model of the RSS run; default ${DEFAULT-VALUE}")
  String rssModel;

  @Mixin KernelOptions kernelOptions = new KernelOptions();

  @Option(
      names = "--rss-steps",
      defaultValue = "1000",
      paramLabel = "N",
      description =
          "sampling steps of the RSS run (RSS compared at N/10 and N); default ${DEFAULT-VALUE}")
  int rssSteps;

  @Override
  public Integer call() throws Exception {
    if (quick) {
      if (model.equals("xl")) model = "s";
      runs = Math.min(runs, 3);
      ddimRuns = 1;
      rssModel = "s/8";
      rssSteps = Math.min(rssSteps, 200);
    }
    if (runs < 1) throw new IllegalArgumentException("--runs must be at least 1, got " + runs);
    if (ddimRuns < 1)
      throw new IllegalArgumentException("--ddim-runs must be at least 1, got " + ddimRuns);
    if (rssSteps < 20)
      throw new IllegalArgumentException("--rss-steps must be at least 20, got " + rssSteps);
    DiTConfig cfg = config(model, "--model");
    DiTConfig rssCfg = config(rssModel, "--rss-model");
    Torch.inferenceMode();
    RouterScores router = RouterScores.load(resourceFile(ROUTER), ModelFamily.DIT);
    Map<String, Object> json = new LinkedHashMap<>();
    json.put("model", cfg.officialName());
    try (NDManager root = Torch.newManager()) {
      json.put("device", ComputeDevice.describe(root.getDevice()));
      json.put("engine", ComputeDevice.engineBuild());
      // Memory first, in a process that has held nothing bigger: measured after the XL model, the
      // baseline would
      // include the XL model's freed pages, which the allocator hands back to the OS during the
      // run, so RSS shrinks.
      double[] rss = rssRun(rssCfg, root, router.schedule(0.1).resampledToLayers(rssCfg.depth));
      double growth = (rss[1] - rss[0]) / rss[0];
      System.out.printf(
          Locale.ROOT,
          "RSS (%s, L2C-cached DDIM20 loops): %.1f MB after %d steps, %.1f MB after %d"
              + " steps, growth %.2f%%%n",
          rssCfg.officialName(),
          rss[0] / 1e6,
          rssSteps / 10,
          rss[1] / 1e6,
          rssSteps,
          100 * growth);

      double matmul = matmulGflops(root);
      System.out.printf(Locale.ROOT, "matmul 1024^3 fp32: %.1f GFLOP/s%n", matmul);

      System.out.printf(
          "%s random weights, latent %dx%dx%d, batch 2 (one image with CFG)...%n",
          cfg.officialName(), cfg.inChannels, cfg.inputSize, cfg.inputSize);
      try (DiT dit = DiT.random(cfg, root, kernelOptions.execution())) {
        UnitMacs macs = dit.macs();
        double fullMacs = macs.fullForward();
        int rows = 2 * cfg.gridSize() * cfg.gridSize();
        double gemm =
            BenchMeasures.gemmGflops(cfg.hiddenSize, cfg.mlpHidden(), rows, dit.execution());
        reportForward(
            json,
            forwardMedian(dit, root),
            runs,
            2 * 2 * fullMacs,
            fullMacs / 1e9,
            matmul,
            gemm,
            dit.execution());

        CacheSchedule schedule = router.schedule(0.1).resampledToLayers(cfg.depth);
        double[][] ddim =
            alternated(
                ddimRuns,
                "DDIM20",
                "plain",
                () -> ddimSeconds(dit, root, null),
                "router",
                () -> ddimSeconds(dit, root, schedule));
        double[] plain = ddim[0];
        double[] routed = ddim[1];
        double plainS = plain[0];
        double routerS = routed[0];
        System.out.printf(
            Locale.ROOT,
            "DDIM20 plain: %.2f s (%.2f CPU-s)%s%n",
            plainS,
            plain[1],
            ddimRuns > 1 ? ", mean of " + ddimRuns + " runs alternated with the router runs" : "");
        double theoretical = macs.speedup(schedule);
        System.out.printf(
            Locale.ROOT,
            "DDIM20 with the DDIM20 router at theta=0.1: %.2f s; speedup %.3f realised vs"
                + " %.3f theoretical (MAC-weighted), ratio %.3f%n",
            routerS,
            plainS / routerS,
            theoretical,
            plainS / routerS / theoretical);
        reportSpeedup(json, "ddim20", plain, routed, theoretical);
        json.put("ddim_runs", ddimRuns);
      }
      json.put("rss_growth", round(growth));
      json.put("rss_model", rssCfg.officialName());
    }
    System.out.println(new Gson().toJson(json));
    return 0;
  }

  static DiTConfig config(String spec, String option) {
    String s = spec.trim().toUpperCase(Locale.ROOT);
    String name = s.contains("/") ? s : s + "/2";
    try {
      return DiTConfig.official(name, 32);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(option + ": " + e.getMessage());
    }
  }

  /** {median wall ms, median process CPU seconds} of a batch-2 forward. */
  private double[] forwardMedian(DiT dit, NDManager root) {
    DiTConfig c = dit.config();
    double[] t = new double[runs];
    double[] cpu = new double[runs];
    for (int i = -2; i < runs; i++) {
      try (NDManager s = root.newSubManager()) {
        NDArray x = s.randomNormal(new Shape(2, c.inChannels, c.inputSize, c.inputSize));
        NDArray ts = s.create(new long[] {500, 500});
        NDArray y = s.create(new long[] {1, c.nullClass()});
        double c0 = processCpuSeconds();
        long t0 = System.nanoTime();
        dit.forward(x, ts, y).getFloat(0, 0, 0, 0);
        if (i >= 0) {
          t[i] = (System.nanoTime() - t0) / 1e6;
          cpu[i] = processCpuSeconds() - c0;
        }
      }
    }
    return new double[] {median(t), median(cpu)};
  }

  /** {wall seconds, process CPU seconds} of one 20-step DDIM run for one image with CFG. */
  private static double[] ddimSeconds(DiT dit, NDManager root, CacheSchedule schedule) {
    DiTConfig c = dit.config();
    DiTSampler sampler =
        new DiTSampler(
            dit,
            new DdimSampler(NoiseSchedule.dit(20)),
            Guidance.defaultFor(1.5, c.inChannels),
            schedule);
    try (NDManager s = root.newSubManager()) {
      NDArray z = s.randomNormal(new Shape(1, c.inChannels, c.inputSize, c.inputSize));
      double c0 = processCpuSeconds();
      long t0 = System.nanoTime();
      sampler.sample(z, new long[] {207}, StepListener.NONE).getFloat(0, 0, 0, 0);
      return new double[] {(System.nanoTime() - t0) / 1e9, processCpuSeconds() - c0};
    }
  }

  private static double residentBytes() throws IOException {
    System.gc(); // so that dead direct buffers are freed before reading
    return procStatusBytes("VmRSS:");
  }

  /**
   * {RSS after {@code rssSteps/10} steps, RSS after {@code rssSteps}}; prints the RSS at every
   * tenth of the run, so that a leak (steady growth) can be told from warm-up (growth that levels
   * off).
   */
  private double[] rssRun(DiTConfig cfg, NDManager root, CacheSchedule schedule)
      throws IOException {
    double[] rss = new double[2];
    // This run measures memory, not speed: one torch thread avoids OpenMP barrier stalls on a
    // shared machine, which
    // dominate the many small ops of a small model.
    int threads = JniUtils.getNumThreads();
    JniUtils.setNumThreads(1);
    StringBuilder trace = new StringBuilder();
    try (DiT dit = DiT.random(cfg, root, kernelOptions.execution())) {
      DiTSampler sampler =
          new DiTSampler(
              dit,
              new DdimSampler(NoiseSchedule.dit(20)),
              Guidance.defaultFor(1.5, cfg.inChannels),
              schedule);
      int steps = 0;
      int mark = rssSteps / 10;
      int nextMark = mark;
      while (steps < rssSteps) {
        try (NDManager s = root.newSubManager()) {
          NDArray z = s.randomNormal(new Shape(1, cfg.inChannels, cfg.inputSize, cfg.inputSize));
          sampler.sample(z, new long[] {steps % 1000}, StepListener.NONE);
        }
        steps += 20;
        if (steps >= nextMark || steps >= rssSteps) {
          double now = residentBytes();
          if (rss[0] == 0) rss[0] = now;
          rss[1] = now;
          trace.append(String.format(Locale.ROOT, " %d:%.1f", steps, now / 1e6));
          nextMark += mark;
        }
      }
    } finally {
      JniUtils.setNumThreads(threads);
    }
    System.out.println("  RSS (MB) by step:" + trace);
    return rss;
  }
}
