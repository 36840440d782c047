package org.l2cbeam.pipelines.cli;

import java.util.concurrent.Callable;
import org.l2cbeam.core.fid.FeatureExtractor;
import org.l2cbeam.core.fid.FidStats;
import org.l2cbeam.core.fid.FrechetDistance;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code l2c fid score --a X --b Y}: prints the FID. Each side is a stats npz (arrays mu and sigma:
 * ours, pytorch-fid's, an ADM reference batch, or {@code builtin:fmnist-test-stats}) or an image
 * set, whose statistics are computed first.
 */
@Command(name = "score", description = "Print the FID between two statistics files or image sets.")
final class FidScoreCommand implements Callable<Integer> {
  @Option(names = "--a", required = true, paramLabel = "STATS_OR_IMAGES", description = "first set")
  String a;

  @Option(
      names = "--b",
      required = true,
      paramLabel = "STATS_OR_IMAGES",
      description = "second set")
  String b;

  @Mixin FidImageOptions options = new FidImageOptions();

  @Override
  public Integer call() {
    FidStats sa;
    FidStats sb;
    boolean aIsStats = FidImageOptions.isStats(a);
    boolean bIsStats = FidImageOptions.isStats(b);
    if (aIsStats && bIsStats) {
      sa = FidImageOptions.readStats(a);
      sb = FidImageOptions.readStats(b);
    } else {
      try (FeatureExtractor net = options.openExtractor()) {
        sa = aIsStats ? FidImageOptions.readStats(a) : options.statsOf(net, a, System.err);
        sb = bIsStats ? FidImageOptions.readStats(b) : options.statsOf(net, b, System.err);
      }
    }
    double fid;
    try {
      fid = FrechetDistance.compute(sa, sb);
    } catch (IllegalArgumentException | ArithmeticException e) {
      throw new IllegalArgumentException("--a " + a + " vs --b " + b + ": " + e.getMessage(), e);
    }
    System.out.println(fid);
    return 0;
  }
}
