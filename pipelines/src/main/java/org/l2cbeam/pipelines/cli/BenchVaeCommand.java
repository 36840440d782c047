package org.l2cbeam.pipelines.cli;

import static org.l2cbeam.pipelines.cli.BenchMeasures.procStatusBytes;
import static org.l2cbeam.pipelines.cli.BenchMeasures.processCpuSeconds;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.jni.JniUtils;
import java.io.IOException;
import java.util.Arrays;
import java.util.concurrent.Callable;
import org.l2cbeam.core.runtime.MklDispatch;
import org.l2cbeam.core.runtime.NativeAllocator;
import org.l2cbeam.core.runtime.Torch;
import org.l2cbeam.core.vae.AutoencoderKL;
import org.l2cbeam.core.vae.RandomVaeParameters;
import org.l2cbeam.core.vae.VaeConfig;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code l2c bench vae}: decode time of 256×256 images with random weights of the real
 * sd-vae-ft-ema shape (no checkpoint needed: the time does not depend on the weight values), and
 * the achieved GFLOP/s counting 2 FLOP per multiply-accumulate of the decoder (311 GMAC per image).
 */
@Command(
    name = "vae",
    description = "Time the VAE decode of 256x256 images (sd-vae-ft-ema shape, random weights).")
final class BenchVaeCommand implements Callable<Integer> {
  @Option(
      names = "--runs",
      defaultValue = "5",
      description = "timed decodes; default ${DEFAULT-VALUE}")
  int runs;

  @Option(
      names = "--warmup",
      defaultValue = "1",
      description = "untimed decodes first; default ${DEFAULT-VALUE}")
  int warmup;

  @Option(
      names = "--batch",
      defaultValue = "1",
      description = "images per decode; default ${DEFAULT-VALUE}")
  int batch;

  @Option(
      names = "--resolution",
      defaultValue = "256",
      description = "image side in pixels; default ${DEFAULT-VALUE}")
  int resolution;

  @Override
  public Integer call() {
    if (runs < 1 || warmup < 0 || batch < 1) {
      throw new IllegalArgumentException(
          "--runs and --batch must be at least 1 and --warmup at least 0");
    }
    VaeConfig config = VaeConfig.stableDiffusionKlF8();
    int f = config.downsamplingFactor();
    if (resolution < f || resolution % f != 0) {
      throw new IllegalArgumentException(
          "--resolution must be a positive multiple of " + f + ", got " + resolution);
    }
    int side = resolution / f;
    double gflop = 2.0 * config.decoderMacs(side, side) * batch / 1e9;
    double[] seconds = new double[runs];
    double[] cpuSeconds = new double[runs];
    long[] rssMb = new long[runs];
    try (AutoencoderKL vae = AutoencoderKL.create(new RandomVaeParameters(config));
        NDManager manager = Torch.newManager()) {
      NDArray latent = manager.randomNormal(new Shape(batch, config.embedDim(), side, side));
      for (int i = 0; i < warmup + runs; i++) {
        long start = System.nanoTime();
        double cpuStart = processCpuSeconds();
        try (NDArray images = vae.decode(latent)) {
          images.toFloatArray(); // forces completion, as a consumer of the images would
        }
        if (i >= warmup) {
          seconds[i - warmup] = (System.nanoTime() - start) / 1e9;
          cpuSeconds[i - warmup] = processCpuSeconds() - cpuStart;
          rssMb[i - warmup] = megabytes("VmRSS:");
        }
      }
    }
    int threads = JniUtils.getNumThreads();
    double[] sorted = seconds.clone();
    Arrays.sort(sorted);
    double median = sorted[runs / 2];
    System.out.printf(
        "vae decode: %d image(s) %dx%d (latent %dx%dx%d), %s, random weights, %d torch threads, native allocator: %s, MKL: %s%n",
        batch,
        resolution,
        resolution,
        config.embedDim(),
        side,
        side,
        config,
        threads,
        NativeAllocator.describe(),
        MklDispatch.describe());
    double[] rounded = Arrays.stream(seconds).map(s -> Math.round(s * 1000) / 1000.0).toArray();
    System.out.printf("  runs (s): %s%n", Arrays.toString(rounded));
    System.out.printf(
        "  median %.3f s, min %.3f s per decode; %.1f GFLOP per decode -> %.1f GFLOP/s (median), %.1f (best)%n",
        median, sorted[0], gflop, gflop / median, gflop / sorted[0]);
    double[] cpuSorted = cpuSeconds.clone();
    Arrays.sort(cpuSorted);
    // On a shared machine the wall time includes waiting for cores; CPU seconds show the work
    // itself.
    System.out.printf(
        "  process CPU time per decode: median %.2f s -> %.1f GFLOP per CPU-second; resident memory after each run"
            + " (MB): %s, peak %d MB%n",
        cpuSorted[runs / 2],
        gflop / cpuSorted[runs / 2],
        Arrays.toString(rssMb),
        megabytes("VmHWM:"));
    return 0;
  }

  /**
   * A /proc/self/status memory field in MB; -1 where there is none (not Linux): memory is reported,
   * not required.
   */
  private static long megabytes(String field) {
    try {
      return Math.round(procStatusBytes(field) / (1024 * 1024));
    } catch (IOException | RuntimeException e) {
      return -1;
    }
  }
}
