package org.l2cbeam.core.router.train;

/**
 * The loss (or the router gradient) became NaN or infinite. Training stops before the bad update is
 * applied; the last checkpoint written stays as it was, so the run can be inspected or resumed with
 * other settings.
 */
public final class TrainingDivergedException extends RuntimeException {
  private final long iteration;
  private final long lastCheckpointIteration;

  public TrainingDivergedException(
      long iteration, int cacheStep, String what, long lastCheckpointIteration, String checkpoint) {
    super(
        what
            + " at training step "
            + iteration
            + " (cache step "
            + cacheStep
            + "); training stopped. "
            + (lastCheckpointIteration >= 0
                ? "The last good checkpoint is "
                    + checkpoint
                    + " (step "
                    + lastCheckpointIteration
                    + ")."
                : "No checkpoint was written before it."));
    this.iteration = iteration;
    this.lastCheckpointIteration = lastCheckpointIteration;
  }

  /** The 1-based training step whose loss was not finite. */
  public long iteration() {
    return iteration;
  }

  /** Iterations completed in the last checkpoint written, or -1 if none was. */
  public long lastCheckpointIteration() {
    return lastCheckpointIteration;
  }
}
