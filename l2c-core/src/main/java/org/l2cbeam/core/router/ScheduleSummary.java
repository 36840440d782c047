package org.l2cbeam.core.router;

/**
 * How much of the network a cache schedule skips: removed (reused) unit evaluations counted over
 * the cache evaluations only, and over every model evaluation of the sampler (a U-ViT row stands
 * for two evaluations, of which one is the cache evaluation).
 */
public final class ScheduleSummary {
  public final int units;
  public final int cacheRows;

  /** Model evaluations of the whole sampler. */
  public final int evaluations;

  /** Units computed on cache rows. */
  public final int activeInCacheRows;

  /** Units reused on cache rows. */
  public final int removed;

  private ScheduleSummary(int units, int cacheRows, int evaluations, int activeInCacheRows) {
    this.units = units;
    this.cacheRows = cacheRows;
    this.evaluations = evaluations;
    this.activeInCacheRows = activeInCacheRows;
    this.removed = cacheRows * units - activeInCacheRows;
  }

  public static ScheduleSummary of(StepPairing pairing, CacheSchedule schedule) {
    int cacheRows = 0;
    int active = 0;
    for (int r = 0; r < schedule.steps(); r++) {
      if (pairing.isCacheRow(r, schedule.steps())) {
        cacheRows++;
        active += schedule.active(r);
      }
    }
    return new ScheduleSummary(schedule.units(), cacheRows, pairing.nfe(schedule.steps()), active);
  }

  /** Fraction of unit evaluations removed within cache evaluations. */
  public double removedInCacheSteps() {
    return cacheRows == 0 ? 0 : removed / (double) (cacheRows * units);
  }

  /** Fraction of unit evaluations removed over all model evaluations. */
  public double removedOverall() {
    return removed / (double) (evaluations * units);
  }

  @Override
  public String toString() {
    return String.format(
        java.util.Locale.ROOT,
        "removed %d/%d in cache steps (%.2f%%), %d/%d over all %d steps (%.2f%%)",
        removed,
        cacheRows * units,
        100 * removedInCacheSteps(),
        removed,
        evaluations * units,
        evaluations,
        100 * removedOverall());
  }
}
