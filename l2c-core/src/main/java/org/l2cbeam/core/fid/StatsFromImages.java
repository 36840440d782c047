package org.l2cbeam.core.fid;

import org.l2cbeam.core.image.ImageBatch;
import org.l2cbeam.core.image.ImageSource;

/** Runs a feature extractor over an image source, batch by batch, into a {@link FeatureStats}. */
public final class StatsFromImages {
  /** Called after every batch with the images done so far and the total. */
  @FunctionalInterface
  public interface Progress {
    void update(long done, long total);
  }

  private StatsFromImages() {}

  public static FeatureStats compute(
      FeatureExtractor extractor, ImageSource images, int batchSize, Progress progress) {
    if (batchSize <= 0)
      throw new IllegalArgumentException("batch size must be positive, got " + batchSize);
    FeatureStats stats = new FeatureStats(extractor.dim());
    long done = 0;
    for (ImageBatch batch = images.next(batchSize); batch != null; batch = images.next(batchSize)) {
      stats.add(extractor.features(batch));
      done += batch.count();
      progress.update(done, images.count());
    }
    if (stats.count() < 2) {
      throw new IllegalArgumentException(
          images.description() + ": FID statistics need at least 2 images, found " + stats.count());
    }
    return stats;
  }
}
