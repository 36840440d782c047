package org.l2cbeam.pipelines.cli;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.Locale;
import org.l2cbeam.core.data.FashionMnist;
import org.l2cbeam.core.fid.FeatureExtractor;
import org.l2cbeam.core.fid.FeatureExtractors;
import org.l2cbeam.core.fid.FeatureStats;
import org.l2cbeam.core.fid.FidStats;
import org.l2cbeam.core.fid.StatsFromImages;
import org.l2cbeam.core.image.ImageSource;
import org.l2cbeam.core.image.ImageSources;
import picocli.CommandLine.Option;

/**
 * The options shared by {@code fid stats} and {@code fid score} for turning images into statistics.
 */
final class FidImageOptions {
  @Option(
      names = "--extractor",
      paramLabel = "NAME",
      description =
          "feature network: fmnist (the bundled Fashion-MNIST net, 128-d) or inception (pytorch-fid, 2048-d); "
              + "default ${DEFAULT-VALUE}")
  String extractor = "fmnist";

  @Option(
      names = "--weights",
      paramLabel = "W",
      description =
          "extractor weights: for inception, pt_inception-2015-12-05-6726825d.pth (or hash:SEED for random "
              + "weights); for fmnist, default builtin:fmnist-features")
  String weights;

  @Option(
      names = "--batch-size",
      paramLabel = "N",
      description = "images per forward (default ${DEFAULT-VALUE})")
  int batchSize = 50;

  @Option(
      names = "--split",
      paramLabel = "S",
      description =
          "split of a Fashion-MNIST directory or builtin:fashion-mnist: train or t10k (default ${DEFAULT-VALUE})")
  String split = "train";

  FeatureExtractor openExtractor() {
    return FeatureExtractors.create(extractor, weights);
  }

  /** Statistics of an image set, with a progress line on {@code progress}. */
  FidStats statsOf(FeatureExtractor net, String images, PrintStream progress) {
    if (batchSize <= 0)
      throw new IllegalArgumentException("--batch-size must be positive, got " + batchSize);
    FashionMnist.Split s = FashionMnist.Split.parse(split);
    long start = System.nanoTime();
    try (ImageSource source = ImageSources.open(images, net.channels(), s)) {
      FeatureStats stats =
          StatsFromImages.compute(
              net,
              source,
              batchSize,
              (done, total) -> {
                double seconds = (System.nanoTime() - start) / 1e9;
                progress.printf(
                    Locale.ROOT,
                    "\rfid: %s: %d/%d images (%.1f images/s)",
                    source.description(),
                    done,
                    total,
                    done / Math.max(seconds, 1e-9));
                progress.flush();
              });
      progress.println();
      return stats.toFidStats();
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("--images " + images + ": " + e.getMessage(), e);
    }
  }

  /**
   * True if {@code location} (a path or {@code builtin:NAME}) is an npz holding {@code mu} and
   * {@code sigma}.
   */
  static boolean isStats(String location) {
    if (location.equals(FashionMnist.BUILTIN)) return false;
    Path p = org.l2cbeam.core.assets.BuiltinAssets.resolve(location);
    return p.getFileName().toString().toLowerCase(Locale.ROOT).endsWith(".npz")
        && java.nio.file.Files.isRegularFile(p)
        && FidStats.isStatsFile(p);
  }

  static FidStats readStats(String location) {
    return FidStats.read(org.l2cbeam.core.assets.BuiltinAssets.resolve(location));
  }
}
