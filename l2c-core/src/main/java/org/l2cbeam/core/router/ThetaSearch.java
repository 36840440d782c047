package org.l2cbeam.core.router;

import java.util.Arrays;
import java.util.Locale;

/**
 * Picks the inference threshold θ for trained router scores so that the static schedule meets a
 * compute budget.
 *
 * <p>A unit u of cache step k is computed iff {@code β[k][u] > θ} (strictly greater, as the
 * original samplers compare). Raising θ only ever removes more units, so the removed MACs are a
 * step function of θ that jumps at each distinct score. The search walks the scores of all cache
 * steps in ascending order, costing each unit by its own MACs ({@link UnitMacs}: attention and MLP
 * differ), and returns the <em>smallest</em> removal that meets the budget: the schedule closest to
 * the full model that is still fast enough. θ is placed halfway between the last removed score and
 * the next one, so the decision does not hinge on the last bit of a float.
 */
public final class ThetaSearch {
  private ThetaSearch() {}

  /** The result: θ, its schedule, and what it saves. */
  public static final class Choice {
    private final double theta;
    private final CacheSchedule schedule;
    private final double removedFraction;
    private final double fullRunMacs;

    Choice(double theta, CacheSchedule schedule, double removedFraction, double fullRunMacs) {
      this.theta = theta;
      this.schedule = schedule;
      this.removedFraction = removedFraction;
      this.fullRunMacs = fullRunMacs;
    }

    public double theta() {
      return theta;
    }

    public CacheSchedule schedule() {
      return schedule;
    }

    /**
     * Fraction of the MACs of the whole sampling run (all steps, every unit) that the schedule
     * skips.
     */
    public double removedFraction() {
      return removedFraction;
    }

    /**
     * Speedup if time were proportional to MACs: {@code 1 / (1 - removed)}. Real latency gains are
     * smaller.
     */
    public double macSpeedup() {
      return 1.0 / (1.0 - removedFraction);
    }

    public double fullRunMacs() {
      return fullRunMacs;
    }

    @Override
    public String toString() {
      return String.format(
          Locale.ROOT,
          "theta=%.6g removed=%.2f%% of MACs (MAC speedup %.3fx)",
          theta,
          100 * removedFraction,
          macSpeedup());
    }
  }

  /**
   * The schedule of threshold θ: on cache steps, computed iff β > θ; every other step computes
   * everything.
   */
  public static CacheSchedule schedule(double[][] scores, boolean[] cacheStep, double theta) {
    boolean[][] compute = new boolean[scores.length][];
    for (int k = 0; k < scores.length; k++) {
      compute[k] = new boolean[scores[k].length];
      for (int u = 0; u < scores[k].length; u++) {
        compute[k][u] = !cacheStep[k] || scores[k][u] > theta;
      }
    }
    return new CacheSchedule(compute);
  }

  /**
   * The smallest removal of at least {@code fraction} of the run's MACs.
   *
   * @param scores β = sigmoid(p) per sampling step and unit ({@code [steps][units]}); rows of
   *     non-cache steps are ignored
   * @param cacheStep which steps may reuse the previous step's cache
   */
  public static Choice forRemovedFraction(
      double[][] scores, boolean[] cacheStep, UnitMacs macs, double fraction) {
    if (!(fraction >= 0 && fraction < 1)) {
      throw new IllegalArgumentException("--remove-macs must be in [0, 1), got " + fraction);
    }
    if (scores.length != cacheStep.length) {
      throw new IllegalArgumentException(
          "router has " + scores.length + " steps but the sampler pairing has " + cacheStep.length);
    }
    int n = 0;
    for (int k = 0; k < scores.length; k++) {
      if (scores[k].length != macs.units()) {
        throw new IllegalArgumentException(
            "router step "
                + k
                + " has "
                + scores[k].length
                + " scores but the model has "
                + macs.units()
                + " cache units");
      }
      if (cacheStep[k]) n += scores[k].length;
    }
    double[] beta = new double[n];
    double[] cost = new double[n];
    Integer[] order = new Integer[n];
    int i = 0;
    for (int k = 0; k < scores.length; k++) {
      if (!cacheStep[k]) continue;
      for (int u = 0; u < scores[k].length; u++) {
        beta[i] = scores[k][u];
        cost[i] = macs.unit(u);
        order[i] = i;
        i++;
      }
    }
    Arrays.sort(order, (a, b) -> Double.compare(beta[a], beta[b]));
    double fullRun = macs.fullRun(scores.length);
    double target = fraction * fullRun;
    double removed = 0;
    double theta = 0;
    int j = 0;
    // Remove whole groups of equal scores at a time: a threshold cannot split a tie.
    while (removed < target * (1 - 1e-12) && j < n) {
      double level = beta[order[j]];
      while (j < n && beta[order[j]] == level) {
        removed += cost[order[j]];
        j++;
      }
      double next = j < n ? beta[order[j]] : 1.0;
      theta = (level + next) / 2;
    }
    if (removed < target * (1 - 1e-12)) {
      throw new IllegalArgumentException(
          String.format(
              Locale.ROOT,
              "--remove-macs %.4g is not reachable: reusing every unit of every cache step removes only %.2f%% of"
                  + " the run's MACs",
              fraction,
              100 * removed / fullRun));
    }
    CacheSchedule schedule = schedule(scores, cacheStep, theta);
    double actual = 1.0 - macs.run(schedule) / fullRun;
    return new Choice(theta, schedule, actual, fullRun);
  }

  /** The smallest removal whose MAC speedup {@code 1/(1-removed)} is at least {@code speedup}. */
  public static Choice forSpeedup(
      double[][] scores, boolean[] cacheStep, UnitMacs macs, double speedup) {
    if (!(speedup >= 1)) {
      throw new IllegalArgumentException("--speedup must be >= 1, got " + speedup);
    }
    return forRemovedFraction(scores, cacheStep, macs, 1.0 - 1.0 / speedup);
  }

  /** The schedule and savings of a given θ (e.g. the paper's 0.1). */
  public static Choice forTheta(
      double[][] scores, boolean[] cacheStep, UnitMacs macs, double theta) {
    CacheSchedule schedule = schedule(scores, cacheStep, theta);
    double fullRun = macs.fullRun(scores.length);
    return new Choice(theta, schedule, 1.0 - macs.run(schedule) / fullRun, fullRun);
  }
}
