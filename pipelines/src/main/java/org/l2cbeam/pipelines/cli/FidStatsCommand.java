package org.l2cbeam.pipelines.cli;

import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.l2cbeam.core.fid.FeatureExtractor;
import org.l2cbeam.core.fid.FidStats;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code l2c fid stats}: mu/sigma of an image set's features, written as a pytorch-fid style stats
 * npz.
 */
@Command(
    name = "stats",
    description =
        "Compute FID statistics (mu, sigma) of an image set and write them as .npz (pytorch-fid format).")
final class FidStatsCommand implements Callable<Integer> {
  @Option(
      names = "--images",
      required = true,
      paramLabel = "SRC",
      description =
          "a folder of images, an .npz with arr_0 (NHWC uint8), an IDX file (*-ubyte[.gz]), a Fashion-MNIST "
              + "directory, or builtin:fashion-mnist")
  String images;

  @Option(
      names = "--out",
      required = true,
      paramLabel = "STATS.npz",
      description = "output statistics file")
  Path out;

  @Mixin FidImageOptions options = new FidImageOptions();

  @Override
  public Integer call() throws Exception {
    FidStats stats;
    try (FeatureExtractor net = options.openExtractor()) {
      stats = options.statsOf(net, images, System.err);
    }
    stats.write(out);
    System.out.println(
        "{\"out\":\""
            + out.toString().replace("\\", "\\\\").replace("\"", "\\\"")
            + "\",\"extractor\":\""
            + options.extractor
            + "\",\"dim\":"
            + stats.dim()
            + "}");
    return 0;
  }
}
