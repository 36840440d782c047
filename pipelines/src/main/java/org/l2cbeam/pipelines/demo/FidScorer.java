package org.l2cbeam.pipelines.demo;

import org.l2cbeam.core.assets.BuiltinAssets;
import org.l2cbeam.core.fid.FeatureStats;
import org.l2cbeam.core.fid.FidStats;
import org.l2cbeam.core.fid.FmnistFeatureNet;
import org.l2cbeam.core.fid.FrechetDistance;
import org.l2cbeam.core.image.ImageBatch;
import org.l2cbeam.core.image.ImageConversions;

/**
 * FID-FMNIST of a set of the bundled DiT's samples: center-crop 32 to 28 (the model card's rule), features of the
 * Fashion-MNIST feature network, Fréchet distance to the test-set statistics.
 */
final class FidScorer implements AutoCloseable {
  static final String REFERENCE = "builtin:fmnist-test-stats";

  private final FmnistFeatureNet features;
  private final FidStats reference;

  FidScorer() {
    this.features = FmnistFeatureNet.builtin();
    this.reference = FidStats.read(BuiltinAssets.resolve(REFERENCE));
  }

  double fid(ImageBatch samples) {
    ImageBatch cropped = ImageConversions.centerCrop(samples, FmnistFeatureNet.SIZE);
    FeatureStats stats = new FeatureStats(FmnistFeatureNet.DIM).add(features.features(cropped));
    return FrechetDistance.compute(stats.toFidStats(), reference);
  }

  @Override
  public void close() {
    features.close();
  }
}
