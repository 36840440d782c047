package org.l2cbeam.core.fid;

import org.l2cbeam.core.image.ImageBatch;

/**
 * A network whose activations FID compares: images in, one {@code dim()}-d float32 feature vector
 * per image out. Implementations hold their weights once and are safe to share between threads
 * (each call scopes its own native memory); {@link #close()} frees the weights.
 */
public interface FeatureExtractor extends AutoCloseable {
  /** Short name used on the command line and in stats metadata, e.g. {@code "inception"}. */
  String name();

  /** Feature dimension (2048 for Inception pool3, 128 for the Fashion-MNIST net). */
  int dim();

  /** Channel count the network accepts (3 or 1); other batches are rejected with a clear error. */
  int channels();

  /** Features of a batch of 8-bit images, in order. */
  float[][] features(ImageBatch images);

  @Override
  void close();
}
