package org.l2cbeam.core.diffusion;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;

/**
 * The arrays of guided-diffusion's {@code GaussianDiffusion} for a (possibly respaced) beta
 * schedule, in float64 as numpy computes them, plus the map from spaced step k to the original
 * timestep the model is called with.
 *
 * <p>Samplers extract per-step coefficients the way {@code _extract_into_tensor} does: the float64
 * value rounded to float32 ({@link #f32}).
 */
public final class NoiseSchedule {
  public static final int DEFAULT_TIMESTEPS = 1000;

  private final double[] betas;
  private final int[] timestepMap;
  private final double[] alphasCumprod;
  private final double[] alphasCumprodPrev;
  private final double[] sqrtAlphasCumprod;
  private final double[] sqrtOneMinusAlphasCumprod;
  private final double[] sqrtRecipAlphasCumprod;
  private final double[] sqrtRecipm1AlphasCumprod;
  private final double[] posteriorVariance;
  private final double[] posteriorLogVarianceClipped;
  private final double[] posteriorMeanCoef1;
  private final double[] posteriorMeanCoef2;
  private final double[] logBetas;

  private NoiseSchedule(double[] betas, int[] timestepMap) {
    int n = betas.length;
    this.betas = betas;
    this.timestepMap = timestepMap;
    alphasCumprod = new double[n];
    alphasCumprodPrev = new double[n];
    sqrtAlphasCumprod = new double[n];
    sqrtOneMinusAlphasCumprod = new double[n];
    sqrtRecipAlphasCumprod = new double[n];
    sqrtRecipm1AlphasCumprod = new double[n];
    posteriorVariance = new double[n];
    posteriorLogVarianceClipped = new double[n];
    posteriorMeanCoef1 = new double[n];
    posteriorMeanCoef2 = new double[n];
    logBetas = new double[n];
    double prod = 1.0;
    for (int i = 0; i < n; i++) {
      if (!(betas[i] > 0 && betas[i] <= 1)) {
        throw new IllegalArgumentException("beta[" + i + "] = " + betas[i] + " is not in (0, 1]");
      }
      alphasCumprodPrev[i] = prod;
      prod *= 1.0 - betas[i];
      alphasCumprod[i] = prod;
    }
    for (int i = 0; i < n; i++) {
      double ac = alphasCumprod[i];
      double acp = alphasCumprodPrev[i];
      sqrtAlphasCumprod[i] = Math.sqrt(ac);
      sqrtOneMinusAlphasCumprod[i] = Math.sqrt(1.0 - ac);
      sqrtRecipAlphasCumprod[i] = Math.sqrt(1.0 / ac);
      sqrtRecipm1AlphasCumprod[i] = Math.sqrt(1.0 / ac - 1);
      posteriorVariance[i] = betas[i] * (1.0 - acp) / (1.0 - ac);
      posteriorMeanCoef1[i] = betas[i] * Math.sqrt(acp) / (1.0 - ac);
      posteriorMeanCoef2[i] = (1.0 - acp) * Math.sqrt(1.0 - betas[i]) / (1.0 - ac);
      logBetas[i] = Math.log(betas[i]);
    }
    // log(append(posterior_variance[1], posterior_variance[1:])): the first entry (0) is clipped to
    // the second.
    for (int i = 0; i < n; i++) {
      posteriorLogVarianceClipped[i] =
          Math.log(n > 1 && i == 0 ? posteriorVariance[1] : posteriorVariance[i]);
    }
  }

  /** DiT's linear schedule: {@code np.linspace(1e-4, 0.02, T)} scaled to T steps, float64. */
  public static NoiseSchedule linear(int numTimesteps) {
    double scale = 1000.0 / numTimesteps;
    double start = scale * 0.0001;
    double end = scale * 0.02;
    double[] betas = new double[numTimesteps];
    double step = (end - start) / (numTimesteps - 1);
    for (int i = 0; i < numTimesteps; i++) betas[i] = i * step + start;
    betas[numTimesteps - 1] = end; // numpy sets the endpoint exactly
    int[] identity = new int[numTimesteps];
    for (int i = 0; i < numTimesteps; i++) identity[i] = i;
    return new NoiseSchedule(betas, identity);
  }

  /**
   * guided-diffusion's {@code SpacedDiffusion}: new betas {@code 1 - ᾱ[τ_k]/ᾱ[τ_{k-1}]} over the
   * kept timesteps, so that the respaced process has {@code ᾱ'_k = ᾱ[τ_k]} (up to float64
   * rounding).
   */
  public NoiseSchedule respace(String spec) {
    int[] kept = Respacing.timesteps(betas.length, spec);
    double[] newBetas = new double[kept.length];
    int[] map = new int[kept.length];
    double last = 1.0;
    int j = 0;
    for (int i = 0; i < alphasCumprod.length && j < kept.length; i++) {
      if (i == kept[j]) {
        newBetas[j] = 1 - alphasCumprod[i] / last;
        last = alphasCumprod[i];
        map[j] = timestepMap[i];
        j++;
      }
    }
    return new NoiseSchedule(newBetas, map);
  }

  /**
   * DiT's {@code create_diffusion(str(steps))}: linear betas over 1000 steps respaced to {@code
   * steps}.
   */
  public static NoiseSchedule dit(int steps) {
    return linear(DEFAULT_TIMESTEPS).respace(Integer.toString(steps));
  }

  public int steps() {
    return betas.length;
  }

  /** The original timestep the model sees at spaced step {@code k}. */
  public int timestep(int k) {
    return timestepMap[k];
  }

  public int[] timestepMap() {
    return timestepMap.clone();
  }

  public double[] betas() {
    return betas.clone();
  }

  public double[] alphasCumprod() {
    return alphasCumprod.clone();
  }

  public double[] alphasCumprodPrev() {
    return alphasCumprodPrev.clone();
  }

  public double[] posteriorVariance() {
    return posteriorVariance.clone();
  }

  public double[] posteriorLogVarianceClipped() {
    return posteriorLogVarianceClipped.clone();
  }

  public double[] posteriorMeanCoef1() {
    return posteriorMeanCoef1.clone();
  }

  public double[] posteriorMeanCoef2() {
    return posteriorMeanCoef2.clone();
  }

  double alphaCumprod(int k) {
    return alphasCumprod[k];
  }

  double alphaCumprodPrev(int k) {
    return alphasCumprodPrev[k];
  }

  double sqrtRecipAlphaCumprod(int k) {
    return sqrtRecipAlphasCumprod[k];
  }

  double sqrtRecipm1AlphaCumprod(int k) {
    return sqrtRecipm1AlphasCumprod[k];
  }

  double posteriorLogVarianceClipped(int k) {
    return posteriorLogVarianceClipped[k];
  }

  double logBeta(int k) {
    return logBetas[k];
  }

  double posteriorMeanCoef1(int k) {
    return posteriorMeanCoef1[k];
  }

  double posteriorMeanCoef2(int k) {
    return posteriorMeanCoef2[k];
  }

  /**
   * {@code x_0 = sqrt(1/ᾱ_k) x_t - sqrt(1/ᾱ_k - 1) eps} ({@code _predict_xstart_from_eps}), float32
   * coefficients.
   */
  public NDArray predictXStart(NDArray x, NDArray eps, int k) {
    NDManager m = x.getManager();
    return x.mul(f32(m, sqrtRecipAlphasCumprod[k]))
        .sub(eps.mul(f32(m, sqrtRecipm1AlphasCumprod[k])));
  }

  /** {@code eps = (sqrt(1/ᾱ_k) x_t - x_0) / sqrt(1/ᾱ_k - 1)} ({@code _predict_eps_from_xstart}). */
  public NDArray predictEps(NDArray x, NDArray xStart, int k) {
    NDManager m = x.getManager();
    return x.mul(f32(m, sqrtRecipAlphasCumprod[k]))
        .sub(xStart)
        .div(f32(m, sqrtRecipm1AlphasCumprod[k]));
  }

  /**
   * {@code q_sample}: {@code sqrt(ᾱ_k) x_0 + sqrt(1-ᾱ_k) noise}, float32 coefficients (router
   * training's x_t).
   */
  public NDArray qSample(NDArray x0, NDArray noise, int k) {
    NDManager m = x0.getManager();
    return x0.mul(f32(m, sqrtAlphasCumprod[k]))
        .add(noise.mul(f32(m, sqrtOneMinusAlphasCumprod[k])));
  }

  /**
   * A float32 scalar tensor of {@code value} (torch-owned, so safe under autograd), as {@code
   * _extract_into_tensor}.
   */
  static NDArray f32(NDManager m, double value) {
    return m.full(new Shape(), (float) value);
  }
}
