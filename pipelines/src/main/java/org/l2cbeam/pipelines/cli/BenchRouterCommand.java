package org.l2cbeam.pipelines.cli;

import static org.l2cbeam.pipelines.cli.BenchMeasures.processCpuSeconds;

import ai.djl.ndarray.NDManager;
import ai.djl.pytorch.jni.JniUtils;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import org.l2cbeam.core.io.TensorData;
import org.l2cbeam.core.io.WeightMap;
import org.l2cbeam.core.model.DiT;
import org.l2cbeam.core.model.DiTConfig;
import org.l2cbeam.core.model.Kernels;
import org.l2cbeam.core.model.ModelExecution;
import org.l2cbeam.core.router.UnitMacs;
import org.l2cbeam.core.router.train.AdamW;
import org.l2cbeam.core.router.train.AdamWConfig;
import org.l2cbeam.core.router.train.RouterTraining;
import org.l2cbeam.core.router.train.RouterTrainingState;
import org.l2cbeam.core.router.train.TrainingBatch;
import org.l2cbeam.core.router.train.TrainingRandom;
import org.l2cbeam.core.router.train.TrainingSettings;
import org.l2cbeam.core.runtime.MklDispatch;
import org.l2cbeam.core.runtime.Torch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code l2c bench router}: wall time of one router-training iteration (q_sample, the full DDIM
 * step recording the cache, the teacher, the soft-mixed student and its backward, AdamW) on a DiT
 * of an official shape with random weights (the time does not depend on the values). Default:
 * DiT-S/2 on 32x32x4 latents at batch 8, as in the README.
 */
@Command(
    name = "router",
    description = "Time one router-training iteration (DiT-S/2, batch 8, random weights).")
final class BenchRouterCommand implements Callable<Integer> {
  @Option(
      names = "--arch",
      defaultValue = "DiT-S/2",
      description = "official DiT shape; default ${DEFAULT-VALUE}")
  String arch;

  @Option(
      names = "--latent-size",
      defaultValue = "32",
      description = "latent side (32 = 256 px); default ${DEFAULT-VALUE}")
  int latentSize;

  @Option(
      names = "--batch",
      defaultValue = "8",
      description = "examples per iteration; default ${DEFAULT-VALUE}")
  int batch;

  @Option(
      names = "--runs",
      defaultValue = "5",
      description = "timed iterations; default ${DEFAULT-VALUE}")
  int runs;

  @Option(
      names = "--warmup",
      defaultValue = "2",
      description = "untimed iterations first; default ${DEFAULT-VALUE}")
  int warmup;

  @Option(
      names = "--kernels",
      paramLabel = "onednn|plain|both",
      description =
          "kernels of the frozen model: onednn (teacher and pre-step on packed oneDNN GEMMs, the student's"
              + " autograd on the plain path), plain, or both, alternated (ABBA) in this run; default ${DEFAULT-VALUE}")
  String kernels = "both";

  @Option(
      names = "--rounds",
      defaultValue = "2",
      description = "ABBA rounds with --kernels both; default ${DEFAULT-VALUE}")
  int rounds;

  @Override
  public Integer call() throws Exception {
    if (runs < 1 || warmup < 0 || batch < 1 || rounds < 1) {
      throw new IllegalArgumentException(
          "--runs, --rounds and --batch must be at least 1 and --warmup at least 0");
    }
    DiTConfig config = DiTConfig.official(arch, latentSize);
    WeightMap weights = randomWeights(config);
    Torch.engine(); // loads libtorch before the thread count is read
    System.out.printf(
        Locale.ROOT,
        "router training iteration: %s on %dx%dx%d latents, batch %d, DDIM-20, random weights, %d torch"
            + " threads; ~%.1f GMAC per iteration (5 forward equivalents x %d images x %.2f GMAC); MKL: %s%n",
        arch,
        config.inChannels,
        latentSize,
        latentSize,
        batch,
        JniUtils.getNumThreads(),
        5 * batch * UnitMacs.of(config).fullForward() / 1e9,
        batch,
        UnitMacs.of(config).fullForward() / 1e9,
        MklDispatch.describe());
    try (NDManager manager = Torch.newManager()) {
      if (!kernels.equals("both")) {
        ModelExecution execution =
            ModelExecution.defaults().withKernels(Kernels.parse(kernels, "--kernels"));
        try (DiT dit = DiT.load(weights, config, manager, execution)) {
          report(dit.execution().toString(), iterations(dit, manager));
        }
        return 0;
      }
      try (DiT plain = DiT.load(weights, config, manager, ModelExecution.plain());
          DiT fast =
              DiT.load(
                  weights,
                  config,
                  manager,
                  ModelExecution.defaults().withKernels(Kernels.ONEDNN))) {
        double[][] t =
            BenchMeasures.alternated(
                rounds,
                "iteration median",
                plain.execution().toString(),
                () -> report(plain.execution().toString(), iterations(plain, manager)),
                fast.execution().toString(),
                () -> report(fast.execution().toString(), iterations(fast, manager)));
        System.out.printf(
            Locale.ROOT,
            "  %s vs %s: %.3f vs %.3f s/iteration (mean of %d ABBA rounds), speedup %.3f;"
                + " by CPU time %.2f vs %.2f s, speedup %.3f%n",
            fast.execution(),
            plain.execution(),
            t[1][0],
            t[0][0],
            rounds,
            t[0][0] / t[1][0],
            t[1][1],
            t[0][1],
            t[0][1] / t[1][1]);
      }
    }
    return 0;
  }

  /**
   * {median wall s, median process CPU s} per iteration over {@code runs} iterations after the
   * warm-up.
   */
  private double[] iterations(DiT dit, NDManager manager) {
    DiTConfig config = dit.config();
    TrainingSettings settings =
        new TrainingSettings(
            20,
            5e-6,
            AdamWConfig.l2c(1e-3),
            batch,
            0,
            TrainingSettings.RANDOM_CACHE_STEP,
            AdamW.ZeroGrad.SET_TO_NONE);
    double[] seconds = new double[runs];
    double[] cpuSeconds = new double[runs];
    RouterTraining training = new RouterTraining(dit, "random", settings);
    RouterTrainingState state = training.initialState();
    int[] shape = {config.inChannels, config.inputSize, config.inputSize};
    int n = shape[0] * shape[1] * shape[2];
    for (int i = 0; i < warmup + runs; i++) {
      float[] x0 =
          TrainingRandom.stream(1, TrainingRandom.Purpose.NOISE, 1000 + i).gaussians(batch * n);
      long[] labels = new long[batch];
      for (int b = 0; b < batch; b++) labels[b] = (i * batch + b) % config.numClasses;
      TrainingBatch tb =
          TrainingBatch.draw(0, i, TrainingBatch.cacheStepOf(settings, i), shape, x0, labels);
      long start = System.nanoTime();
      double cpuStart = processCpuSeconds();
      training.trainer().step(manager, state, tb);
      if (i >= warmup) {
        seconds[i - warmup] = (System.nanoTime() - start) / 1e9;
        cpuSeconds[i - warmup] = processCpuSeconds() - cpuStart;
      }
    }
    return new double[] {BenchMeasures.median(seconds), BenchMeasures.median(cpuSeconds)};
  }

  /**
   * Prints one kernel path's iteration figures (the process CPU time shows the work itself on a
   * shared machine).
   */
  private static double[] report(String kernels, double[] t) {
    System.out.printf(
        Locale.ROOT,
        "  %s: median %.3f s/iteration (%.2f it/s); process CPU %.2f s/iteration%n",
        kernels,
        t[0],
        1 / t[0],
        t[1]);
    return t;
  }

  /**
   * N(0, 0.02²) weights of the official shapes (pos_embed included: its values do not change the
   * time).
   */
  static WeightMap randomWeights(DiTConfig config) {
    Map<String, TensorData> tensors = new LinkedHashMap<>();
    long index = 0;
    for (Map.Entry<String, long[]> e : config.expectedShapes().entrySet()) {
      long numel = TensorData.numel(e.getValue());
      float[] v =
          TrainingRandom.stream(7, TrainingRandom.Purpose.ROUTER_INIT, index++)
              .gaussians(Math.toIntExact(numel));
      for (int i = 0; i < v.length; i++) v[i] *= 0.02f;
      tensors.put(e.getKey(), TensorData.ofFloats(e.getValue(), v));
    }
    return new WeightMap(Path.of("random-" + config.officialName()), tensors, Map.of());
  }
}
