package org.l2cbeam.core.diffusion;

/**
 * The discrete variance-preserving noise schedule of DPM-Solver ({@code
 * NoiseScheduleVP('discrete')}), as U-ViT samples with it: {@code log α(t)} is the piecewise-linear
 * interpolation of {@code 0.5·cumsum(log(1−β))} at the knots {@code t_j = linspace(1/N, 1, N)};
 * {@code σ = sqrt(1−α²)}; {@code λ = log α − log σ}.
 *
 * <p>Every value is computed in float32, in the original's operation order, because the original
 * runs the schedule as float32 torch tensors (it is handed float32 betas) and DPM-Solver
 * trajectories amplify rounding differences. The one float64 step is the cumulative sum, which
 * torch accumulates in double on the CPU.
 */
public final class DiscreteVpSchedule {
  private final float[] tKnots;
  private final float[] logAlphaKnots;

  /**
   * The same knots, flipped so that log α increases: the table {@link #inverseLambda} interpolates.
   */
  private final float[] logAlphaAscending;

  private final float[] tDescending;

  private DiscreteVpSchedule(float[] tKnots, float[] logAlphaKnots) {
    this.tKnots = tKnots;
    this.logAlphaKnots = logAlphaKnots;
    int n = tKnots.length;
    this.logAlphaAscending = new float[n];
    this.tDescending = new float[n];
    for (int i = 0; i < n; i++) {
      logAlphaAscending[i] = logAlphaKnots[n - 1 - i];
      tDescending[i] = tKnots[n - 1 - i];
    }
  }

  /**
   * U-ViT's schedule: the "stable diffusion" betas {@code linspace(sqrt(0.00085), sqrt(0.012),
   * 1000)^2} computed in float64 and handed to the schedule as float32, as {@code
   * sample_ldm_discrete.py} does.
   */
  public static DiscreteVpSchedule stableDiffusion() {
    double[] betas = stableDiffusionBetas();
    float[] f = new float[betas.length];
    for (int i = 0; i < f.length; i++) f[i] = (float) betas[i];
    return fromBetas(f);
  }

  /**
   * {@code stable_diffusion_beta_schedule()}: float64 {@code linspace(sqrt(0.00085), sqrt(0.012),
   * 1000)**2}.
   */
  public static double[] stableDiffusionBetas() {
    double[] s = TorchLinspace.float64(Math.sqrt(0.00085), Math.sqrt(0.012), 1000);
    double[] betas = new double[s.length];
    for (int i = 0; i < s.length; i++) betas[i] = s[i] * s[i];
    return betas;
  }

  /** {@code NoiseScheduleVP('discrete', betas=betas)} with float32 betas. */
  public static DiscreteVpSchedule fromBetas(float[] betas) {
    int n = betas.length;
    if (n < 2) {
      throw new IllegalArgumentException("a discrete schedule needs at least 2 betas, got " + n);
    }
    float[] logAlpha = new float[n];
    double cumulative = 0; // torch's CPU cumsum accumulates float32 in double
    for (int i = 0; i < n; i++) {
      if (!(betas[i] > 0f && betas[i] < 1f)) {
        throw new IllegalArgumentException("beta[" + i + "] = " + betas[i] + " is outside (0, 1)");
      }
      cumulative += (float) Math.log(1f - betas[i]);
      logAlpha[i] = 0.5f * (float) cumulative;
    }
    float[] t = TorchLinspace.float32(1f / n, 1f, n);
    return new DiscreteVpSchedule(t, logAlpha);
  }

  /** Number of discrete steps N (1000 for U-ViT). */
  public int totalSteps() {
    return tKnots.length;
  }

  /** {@code log α(t)}. */
  public float marginalLogMeanCoeff(float t) {
    return interpolate(t, tKnots, logAlphaKnots);
  }

  public float marginalAlpha(float t) {
    return (float) Math.exp(marginalLogMeanCoeff(t));
  }

  /** {@code σ(t) = sqrt(1 − exp(2·log α))}. */
  public float marginalStd(float t) {
    return (float) Math.sqrt(1f - (float) Math.exp(2f * marginalLogMeanCoeff(t)));
  }

  /** {@code λ(t) = log α − 0.5·log(1 − exp(2·log α))}. */
  public float marginalLambda(float t) {
    float logMean = marginalLogMeanCoeff(t);
    float logStd = 0.5f * (float) Math.log(1f - (float) Math.exp(2f * logMean));
    return logMean - logStd;
  }

  /**
   * The t whose λ is {@code lambda}: {@code log α = −0.5·logaddexp(0, −2λ)}, then the flipped
   * table.
   */
  public float inverseLambda(float lambda) {
    float logAlpha = -0.5f * logAddExp(0f, -2f * lambda);
    return interpolate(logAlpha, logAlphaAscending, tDescending);
  }

  /** torch's CPU {@code logaddexp}: {@code max + log1p(exp(−|a−b|))}. */
  static float logAddExp(float a, float b) {
    if (Float.isInfinite(a) && a == b) return a;
    float m = Math.max(a, b);
    return m + (float) Math.log1p((float) Math.exp(-Math.abs(a - b)));
  }

  /**
   * DPM-Solver's {@code interpolate_fn} for one point: linear on the knot segment that holds x, and
   * the outermost segments extended to the whole axis. Knots {@code xp} must be ascending.
   */
  static float interpolate(float x, float[] xp, float[] yp) {
    int k = xp.length;
    int below = 0; // knots strictly below x: x's position among the sorted breakpoints
    while (below < k && xp[below] < x) below++;
    int start = Math.min(Math.max(below - 1, 0), k - 2);
    float startX = xp[start];
    float endX = xp[start + 1];
    float startY = yp[start];
    float endY = yp[start + 1];
    return startY + (x - startX) * (endY - startY) / (endX - startX);
  }
}
