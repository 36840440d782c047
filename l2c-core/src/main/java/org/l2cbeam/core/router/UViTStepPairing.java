package org.l2cbeam.core.router;

/**
 * U-ViT with singlestep DPM-Solver++(2S): NFE evaluations form K = NFE/2 outer steps of two
 * evaluations each (at t_k, then at the intermediate time s1). The schedule has one row per outer
 * step. The first evaluation of outer step k >= 1 is the cache evaluation, reusing the features
 * recorded at step k-1's s1 evaluation (the evaluation just before it, at the nearest time), and
 * router {@code p_k} decides it; outer step 0 and every s1 evaluation are full. The authors' U-ViT
 * code names this "shifted" caching: the cache step is the start of the next outer step, not the
 * second half of the same one.
 */
final class UViTStepPairing implements StepPairing {
  @Override
  public int scheduleRows(int nfe) {
    if (nfe % 2 != 0) {
      throw new IllegalArgumentException(
          "a U-ViT DPM-Solver-2 router needs an even NFE, got " + nfe);
    }
    return nfe / 2;
  }

  @Override
  public boolean isCacheRow(int row, int rows) {
    return row >= 1 && row < rows;
  }

  @Override
  public int evaluationsPerRow() {
    return 2;
  }

  @Override
  public int nextRow(int row) {
    return row + 1;
  }

  @Override
  public String describe() {
    return "U-ViT/DPM-Solver-2: row k = outer step k of K = NFE/2; the first evaluation of steps k = 1..K-1 is a cache"
        + " evaluation (router p_k), step 0 and every intermediate evaluation are full";
  }
}
