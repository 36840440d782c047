package org.l2cbeam.core.router.train;

import java.util.Arrays;

/**
 * The complete mutable state of a router-training run: the router logits {@code p[k][u]} (one
 * router per spaced index, as the original's {@code ModuleList}; only the even indices are
 * trained), the AdamW moments and per-router step counts, the number of completed iterations and
 * the loss history. Together with the run's {@link TrainingSettings} (which hold the seed) it
 * determines the rest of the run exactly: see {@link TrainingRandom} for why (seed, iteration) is
 * the whole RNG state.
 */
public final class RouterTrainingState {
  private final float[][] logits;
  private final AdamW optimizer;
  private long iteration;
  private final TrainingHistory history;

  public RouterTrainingState(
      float[][] logits, AdamW optimizer, long iteration, TrainingHistory history) {
    if (logits.length != optimizer.routers()) {
      throw new IllegalArgumentException(
          logits.length + " routers but optimiser state for " + optimizer.routers());
    }
    if (history.size() != iteration) {
      throw new IllegalArgumentException(
          "history has " + history.size() + " iterations but the state says " + iteration);
    }
    this.logits = logits;
    this.optimizer = optimizer;
    this.iteration = iteration;
    this.history = history;
  }

  /**
   * A fresh run: {@code steps} routers of {@code units} logits, each drawn from a standard normal
   * (the original's {@code torch.randn(2*depth)} per router, in index order) from the run's seed.
   */
  public static RouterTrainingState initial(TrainingSettings settings, int units) {
    int n = settings.samplingSteps();
    float[][] p = new float[n][];
    TrainingRandom rng =
        TrainingRandom.stream(settings.seed(), TrainingRandom.Purpose.ROUTER_INIT, 0);
    for (int k = 0; k < n; k++) p[k] = rng.gaussians(units);
    return withLogits(settings, p);
  }

  /** A fresh run from given initial logits (e.g. the reference vectors' {@code routers.init}). */
  public static RouterTrainingState withLogits(TrainingSettings settings, float[][] initial) {
    float[][] p = new float[initial.length][];
    for (int k = 0; k < p.length; k++) p[k] = initial[k].clone();
    int units = p.length == 0 ? 0 : p[0].length;
    return new RouterTrainingState(
        p,
        new AdamW(settings.optimizer(), settings.zeroGrad(), p.length, units),
        0,
        new TrainingHistory());
  }

  /** The live logits, updated in place by the trainer; router k is row k. */
  float[][] mutableLogits() {
    return logits;
  }

  /** A copy of all router logits {@code [steps][units]}. */
  public float[][] logits() {
    float[][] c = new float[logits.length][];
    for (int k = 0; k < c.length; k++) c[k] = logits[k].clone();
    return c;
  }

  /** β = sigmoid(p) per step and unit, in double. */
  public double[][] scores() {
    double[][] s = new double[logits.length][];
    for (int k = 0; k < s.length; k++) {
      s[k] = new double[logits[k].length];
      for (int u = 0; u < s[k].length; u++) s[k][u] = 1.0 / (1.0 + Math.exp(-logits[k][u]));
    }
    return s;
  }

  public AdamW optimizer() {
    return optimizer;
  }

  /** Completed iterations. */
  public long iteration() {
    return iteration;
  }

  void completeIteration(float loss, float dataLoss, float l1, int cacheStep) {
    history.add(loss, dataLoss, l1, cacheStep);
    iteration++;
  }

  public TrainingHistory history() {
    return history;
  }

  public int routers() {
    return logits.length;
  }

  public int units() {
    return logits.length == 0 ? 0 : logits[0].length;
  }

  /** Bit-for-bit equality of every part of the state. */
  @Override
  public boolean equals(Object o) {
    if (!(o instanceof RouterTrainingState)) return false;
    RouterTrainingState s = (RouterTrainingState) o;
    return iteration == s.iteration
        && Arrays.deepEquals(logits, s.logits)
        && optimizer.equals(s.optimizer)
        && history.equals(s.history);
  }

  @Override
  public int hashCode() {
    return Long.hashCode(iteration) * 31 + Arrays.deepHashCode(logits);
  }
}
