package org.l2cbeam.core.image;

/**
 * Images read batch by batch, so arbitrarily large sets (50 000 samples, ADM reference batches)
 * stay in bounded memory.
 */
public interface ImageSource extends AutoCloseable {
  /** What is being read, for messages and progress, e.g. the file name. */
  String description();

  /** Total number of images. */
  long count();

  /** The next at most {@code max} images, or {@code null} after the last one. */
  ImageBatch next(int max);

  @Override
  void close();
}
