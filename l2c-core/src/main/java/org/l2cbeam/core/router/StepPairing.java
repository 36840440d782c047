package org.l2cbeam.core.router;

/**
 * How a family's sampler pairs its steps into full steps and cache steps, and which router row drives each cache
 * step. The schedule has one row per {@link #scheduleRows} entry; a full row computes every unit, a cache row
 * computes unit u iff {@code sigmoid(p[routerRow][u]) > theta}.
 *
 * <p>Routers are stored with one row per model evaluation ({@code nfe} rows) in the official checkpoints of both
 * families; only the cache rows are ever trained or used.
 */
public interface StepPairing {
  /** DiT with DDIM: even spaced indices are cache steps. */
  static StepPairing dit() {
    return ModelFamily.DIT.pairing();
  }

  /** U-ViT with singlestep DPM-Solver-2: the first evaluation of outer steps 1..K-1 is the cache evaluation. */
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

  /** Model evaluations per schedule row (of which exactly one is the cache evaluation on a cache row). */
  int evaluationsPerRow();

  /** The number of model evaluations a schedule of {@code rows} rows stands for. */
  default int nfe(int rows) {
    return rows * evaluationsPerRow();
  }

  /** Human-readable statement of the rule, for help texts and the README. */
  String describe();
}
