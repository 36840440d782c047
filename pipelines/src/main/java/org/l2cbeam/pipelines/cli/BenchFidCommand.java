package org.l2cbeam.pipelines.cli;

import static org.l2cbeam.pipelines.cli.BenchMeasures.median;
import static org.l2cbeam.pipelines.cli.BenchMeasures.processCpuSeconds;

import java.util.Locale;
import java.util.Random;
import java.util.concurrent.Callable;
import org.l2cbeam.core.data.FashionMnist;
import org.l2cbeam.core.fid.FeatureStats;
import org.l2cbeam.core.fid.FidStats;
import org.l2cbeam.core.fid.FmnistFeatureNet;
import org.l2cbeam.core.fid.FrechetDistance;
import org.l2cbeam.core.fid.InceptionV3Fid;
import org.l2cbeam.core.image.ImageBatch;
import org.l2cbeam.core.runtime.MklDispatch;
import org.l2cbeam.core.runtime.NativeAllocator;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code l2c bench fid}: Inception-v3 (pytorch-fid's, deterministic hash weights: same cost as the
 * real ones) images/s on random 299x299 uint8 batches, the Fashion-MNIST feature net's images/s on
 * the test split, and the cost of the 2048-d statistics update and Fréchet distance. One warm-up
 * round each; figures are medians of the timed rounds. Wall-clock rates depend on what else runs on
 * the machine, so process CPU-time rates are printed too.
 */
@Command(name = "fid", description = "Measure FID feature extraction and distance throughput.")
final class BenchFidCommand implements Callable<Integer> {
  @Option(
      names = "--batch",
      paramLabel = "N",
      description = "Inception batch size (default ${DEFAULT-VALUE})")
  int batch = 50;

  @Option(
      names = "--rounds",
      paramLabel = "R",
      description = "timed Inception batches (default ${DEFAULT-VALUE})")
  int rounds = 3;

  @Option(
      names = "--size",
      paramLabel = "PX",
      description = "Inception input side before the resize (default ${DEFAULT-VALUE})")
  int size = 299;

  @Option(
      names = "--fmnist-batch",
      paramLabel = "N",
      description = "Fashion-MNIST batch size (default ${DEFAULT-VALUE})")
  int fmnistBatch = 500;

  @Override
  public Integer call() {
    if (batch <= 0 || rounds <= 0 || size <= 0 || fmnistBatch <= 0) {
      throw new IllegalArgumentException(
          "--batch, --rounds, --size and --fmnist-batch must be positive");
    }
    System.out.printf(
        Locale.ROOT,
        "cores: %d (torch intra-op threads: libtorch default), native allocator: %s, MKL: %s%n",
        Runtime.getRuntime().availableProcessors(),
        NativeAllocator.describe(),
        MklDispatch.describe());
    Random random = new Random(0);
    byte[] px = new byte[batch * size * size * 3];
    random.nextBytes(px);
    ImageBatch images = new ImageBatch(batch, size, size, 3, px);
    FeatureStats stats = new FeatureStats(InceptionV3Fid.DIM);
    try (InceptionV3Fid net = InceptionV3Fid.withHashWeights(0)) {
      net.features(images); // warm-up: allocator and oneDNN primitive caches
      double[] seconds = new double[rounds];
      double statsSeconds = 0;
      double cpuSeconds = 0;
      for (int r = 0; r < rounds; r++) {
        long t0 = System.nanoTime();
        double c0 = processCpuSeconds();
        float[][] f = net.features(images);
        seconds[r] = (System.nanoTime() - t0) / 1e9;
        cpuSeconds += (processCpuSeconds() - c0);
        long t1 = System.nanoTime();
        stats.add(f);
        statsSeconds += (System.nanoTime() - t1) / 1e9;
      }
      double median = median(seconds);
      System.out.printf(
          Locale.ROOT,
          "inception %dx%d batch %d: %.2f images/s (median %.2f s/batch over %d batches); %.2f images per CPU-second%n",
          size,
          size,
          batch,
          batch / median,
          median,
          rounds,
          batch * rounds / cpuSeconds);
      System.out.printf(
          Locale.ROOT,
          "FeatureStats.add 2048-d: %.1f ms per batch of %d%n",
          statsSeconds / rounds * 1e3,
          batch);
    }

    ImageBatch test = FashionMnist.openDefault().images(FashionMnist.Split.TEST);
    try (FmnistFeatureNet net = FmnistFeatureNet.builtin()) {
      net.features(test.slice(0, fmnistBatch));
      long t0 = System.nanoTime();
      double c0 = processCpuSeconds();
      FeatureStats f = new FeatureStats(FmnistFeatureNet.DIM);
      for (int at = 0; at < test.count(); at += fmnistBatch) {
        f.add(net.features(test.slice(at, Math.min(test.count(), at + fmnistBatch))));
      }
      double s = (System.nanoTime() - t0) / 1e9;
      double cpu = (processCpuSeconds() - c0);
      System.out.printf(
          Locale.ROOT,
          "fmnist features + stats, %d test images, batch %d: %.0f images/s (%.2f s); %.0f images per "
              + "CPU-second%n",
          test.count(),
          fmnistBatch,
          test.count() / s,
          s,
          test.count() / cpu);
    }

    // Fréchet distance at Inception's dimension on a full-rank covariance
    FeatureStats other = new FeatureStats(InceptionV3Fid.DIM);
    float[][] rows = new float[2 * InceptionV3Fid.DIM + 100][InceptionV3Fid.DIM];
    for (float[] row : rows)
      for (int j = 0; j < row.length; j++) row[j] = (float) random.nextGaussian();
    other.add(rows);
    for (float[] row : rows)
      for (int j = 0; j < row.length; j++) row[j] += 0.1f * (float) random.nextGaussian();
    FeatureStats third = new FeatureStats(InceptionV3Fid.DIM).add(rows);
    FidStats x = other.toFidStats();
    FidStats y = third.toFidStats();
    long t0 = System.nanoTime();
    double c0 = processCpuSeconds();
    double fid = FrechetDistance.compute(x, y);
    System.out.printf(
        Locale.ROOT,
        "FrechetDistance 2048-d: %.1f s, %.1f CPU-s (value %.4f)%n",
        (System.nanoTime() - t0) / 1e9,
        (processCpuSeconds() - c0),
        fid);
    return 0;
  }
}
