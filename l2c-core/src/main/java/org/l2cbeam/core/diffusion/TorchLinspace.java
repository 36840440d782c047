package org.l2cbeam.core.diffusion;

/**
 * {@code torch.linspace} bit for bit as the reference machine's CPU kernel (AVX2 build, FMA
 * contraction) computes it. The kernel fills SIMD chunks of 4 doubles / 8 floats, two chunks per
 * iteration: each chunk starts at {@code fma(step, i, start)} (first half) or {@code fma(−step,
 * n−1−i, end)} (second half, decided by the chunk's first index), and its lanes add {@code j·step};
 * the tail that does not fill two chunks is computed element by element with the same two formulas.
 * Time grids and schedule knots built any other way differ in the last bit, and verified against
 * the reference vectors, those bits matter along DPM-Solver trajectories.
 */
final class TorchLinspace {
  private static final int FLOAT_LANES = 8;
  private static final int DOUBLE_LANES = 4;

  private TorchLinspace() {}

  static float[] float32(float start, float end, int steps) {
    checkSteps(steps);
    float step = (end - start) / (steps - 1);
    int halfway = steps / 2;
    float[] out = new float[steps];
    int vectorized = steps / (2 * FLOAT_LANES) * (2 * FLOAT_LANES);
    for (int i = 0; i < vectorized; i += FLOAT_LANES) {
      float base = i < halfway ? Math.fma(step, i, start) : Math.fma(-step, steps - i - 1, end);
      for (int j = 0; j < FLOAT_LANES; j++) out[i + j] = j == 0 ? base : Math.fma(j, step, base);
    }
    for (int i = vectorized; i < steps; i++) {
      out[i] = i < halfway ? Math.fma(step, i, start) : Math.fma(-step, steps - i - 1, end);
    }
    return out;
  }

  static double[] float64(double start, double end, int steps) {
    checkSteps(steps);
    double step = (end - start) / (steps - 1);
    int halfway = steps / 2;
    double[] out = new double[steps];
    int vectorized = steps / (2 * DOUBLE_LANES) * (2 * DOUBLE_LANES);
    for (int i = 0; i < vectorized; i += DOUBLE_LANES) {
      double base = i < halfway ? Math.fma(step, i, start) : Math.fma(-step, steps - i - 1, end);
      for (int j = 0; j < DOUBLE_LANES; j++) out[i + j] = j == 0 ? base : Math.fma(j, step, base);
    }
    for (int i = vectorized; i < steps; i++) {
      out[i] = i < halfway ? Math.fma(step, i, start) : Math.fma(-step, steps - i - 1, end);
    }
    return out;
  }

  private static void checkSteps(int steps) {
    if (steps < 2) {
      throw new IllegalArgumentException("linspace needs at least 2 points, got " + steps);
    }
  }
}
