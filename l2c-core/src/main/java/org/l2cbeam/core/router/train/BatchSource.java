package org.l2cbeam.core.router.train;

/**
 * Supplies the batch of each training iteration; iterations are requested in increasing order from
 * the start.
 */
public interface BatchSource {
  /** The batch of (0-based) iteration {@code iteration}, for the router of {@code cacheStep}. */
  TrainingBatch batch(long iteration, int cacheStep);
}
