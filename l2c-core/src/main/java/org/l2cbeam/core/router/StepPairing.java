package org.l2cbeam.core.router;

import org.l2cbeam.core.model.UnitPlan;

/**
 * How a family's sampler pairs its steps into full steps and cache steps, and which router row
 * drives each cache step. The schedule has one row per {@link #scheduleRows} entry; a full row
 * computes every unit, a cache row computes unit u iff {@code sigmoid(p[routerRow][u]) > theta}.
 *
 * <p>Routers are stored with one row per model evaluation ({@code nfe} rows) in the official
 * checkpoints of both families; only the cache rows are ever trained or used.
 *
 * <p>This is the one place the pairing rule lives: samplers ask {@link #plan} what each network
 * evaluation does, router training asks {@link #isCacheRow} which rows to train, and MAC accounting
 * asks {@link #evaluationsPerRow}.
 */
public interface StepPairing {
  /** DiT with DDIM: even spaced indices are cache steps. */
  static StepPairing dit() {
    return ModelFamily.DIT.pairing();
  }

  /**
   * U-ViT with singlestep DPM-Solver-2: the first evaluation of outer steps 1..K-1 is the cache
   * evaluation.
   */
  static StepPairing uvit() {
    return ModelFamily.UVIT.pairing();
  }

  /** Rows of the cache schedule for a sampler of {@code nfe} model evaluations. */
  int scheduleRows(int nfe);

  /** True if schedule row {@code row} of {@code rows} may reuse cached unit outputs. */
  boolean isCacheRow(int row, int rows);

  /** The router row ({@code p_k}) that decides cache row {@code row}. */
  default int routerRow(int row) {
    return row;
  }

  /**
   * Model evaluations per schedule row (of which exactly one is the cache evaluation on a cache
   * row).
   */
  int evaluationsPerRow();

  /** The number of model evaluations a schedule of {@code rows} rows stands for. */
  default int nfe(int rows) {
    return rows * evaluationsPerRow();
  }

  /**
   * The row a sampler runs right after {@code row}: DDIM walks DiT's spaced indices downwards (N−1
   * … 0), DPM-Solver-2 walks its outer steps upwards (0 … K−1). May be outside {@code 0..rows-1}
   * after the last row.
   */
  int nextRow(int row);

  /**
   * What network evaluation {@code evaluation} (0-based within the row, below {@link
   * #evaluationsPerRow}) of schedule row {@code row} does with the cache units, under {@code
   * schedule} (null: the plain sampler).
   *
   * <ul>
   *   <li>The first evaluation of a cache row is the cache evaluation: unit u is computed iff the
   *       schedule says so, every other unit reuses its recorded output.
   *   <li>The evaluation that runs just before a cache evaluation (the last one of the previous row
   *       in sampling order) is a full step that records every unit's output for it.
   *   <li>Everything else computes every unit and records nothing; so does every evaluation of a
   *       plain run, or of a schedule that reuses nothing (recording would only cost memory).
   * </ul>
   */
  default UnitPlan plan(int row, int evaluation, CacheSchedule schedule, int units) {
    if (evaluation < 0 || evaluation >= evaluationsPerRow()) {
      throw new IllegalArgumentException(
          "evaluation "
              + evaluation
              + " of a row that has "
              + evaluationsPerRow()
              + " evaluations");
    }
    if (schedule == null || schedule.isAllCompute()) {
      return UnitPlan.computeAll(units);
    }
    int rows = schedule.steps();
    if (row < 0 || row >= rows) {
      throw new IllegalArgumentException("schedule row " + row + " is outside 0.." + (rows - 1));
    }
    if (evaluation == 0 && isCacheRow(row, rows)) {
      return UnitPlan.hard(schedule.row(row));
    }
    int next = nextRow(row);
    boolean feedsACacheRow = next >= 0 && next < rows && isCacheRow(next, rows);
    if (evaluation == evaluationsPerRow() - 1 && feedsACacheRow) {
      return UnitPlan.recordAll(units);
    }
    return UnitPlan.computeAll(units);
  }

  /** Human-readable statement of the rule, for help texts and the README. */
  String describe();
}
