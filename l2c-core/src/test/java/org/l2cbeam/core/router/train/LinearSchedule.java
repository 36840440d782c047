package org.l2cbeam.core.router.train;

/** DiT's linear betas (1e-4 to 0.02 over 1000 steps, float64 as NumPy) and ᾱ at the kept timesteps. */
final class LinearSchedule {
  private LinearSchedule() {}

  static double[] alphaBarAt(long[] timesteps) {
    int n = 1000;
    double start = 1e-4;
    double stop = 0.02;
    double step = (stop - start) / (n - 1);
    double[] alphaBar = new double[n];
    double prod = 1;
    for (int i = 0; i < n; i++) {
      double beta = i == n - 1 ? stop : i * step + start;
      prod *= 1 - beta;
      alphaBar[i] = prod;
    }
    double[] out = new double[timesteps.length];
    for (int k = 0; k < out.length; k++) out[k] = alphaBar[(int) timesteps[k]];
    return out;
  }
}
