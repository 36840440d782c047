package org.l2cbeam.core.router;

/**
 * DiT with DDIM: the schedule has one row per spaced index k = 0..N-1 (sampling visits N-1 down to
 * 0). Odd indices are full steps; an even index k is a cache step reusing the outputs step k+1
 * recorded just before it, driven by router {@code p_k}. Index N-1 has no earlier step, so it is
 * full even when N is odd: a cache step needs both an even index and a cache to read. The authors'
 * DDIM loop tests exactly that ({@code i % 2 == 0} and a stored cache).
 */
final class DitStepPairing implements StepPairing {
  @Override
  public int scheduleRows(int nfe) {
    return nfe;
  }

  @Override
  public boolean isCacheRow(int row, int rows) {
    return row % 2 == 0 && row <= rows - 2;
  }

  @Override
  public int evaluationsPerRow() {
    return 1;
  }

  @Override
  public int nextRow(int row) {
    return row - 1;
  }

  @Override
  public String describe() {
    return "DiT/DDIM: row k = spaced index k; even k <= N-2 are cache steps (router p_k), odd k are full steps";
  }
}
