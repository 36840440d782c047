package org.l2cbeam.core.router.train;

import java.util.Arrays;

/**
 * {@code torch.optim.AdamW} over the router logits, one parameter vector per router, computed in
 * float32 in the same order of operations as PyTorch's single-tensor CPU path, so trajectories
 * match the original to rounding.
 *
 * <p>Each router is its own torch parameter, so each has its own Adam {@code step} count. What
 * happens to a router that received no gradient in an iteration depends on how gradients were
 * cleared, see {@link ZeroGrad}.
 */
public final class AdamW {
  /** How {@code optimizer.zero_grad()} cleared gradients in the run being reproduced. */
  public enum ZeroGrad {
    /**
     * PyTorch >= 2.0 default ({@code set_to_none=True}), the authors' environment: an unused router
     * has no gradient, so AdamW skips it entirely (logits, moments and step count stay put).
     */
    SET_TO_NONE,
    /**
     * PyTorch 1.13 default ({@code set_to_none=False}): once a router has been used, it keeps a
     * zero gradient, and AdamW keeps moving it by momentum at every later iteration.
     */
    ZERO_FILL
  }

  private final AdamWConfig config;
  private final ZeroGrad zeroGrad;
  private final float[][] expAvg;
  private final float[][] expAvgSq;
  private final long[] steps;
  private final boolean[] hasGradient;

  public AdamW(AdamWConfig config, ZeroGrad zeroGrad, int routers, int units) {
    this.config = config;
    this.zeroGrad = zeroGrad;
    this.expAvg = new float[routers][units];
    this.expAvgSq = new float[routers][units];
    this.steps = new long[routers];
    this.hasGradient = new boolean[routers];
  }

  /** Restores a saved state (copies the arrays). */
  public AdamW(
      AdamWConfig config,
      ZeroGrad zeroGrad,
      float[][] expAvg,
      float[][] expAvgSq,
      long[] steps,
      boolean[] hasGradient) {
    this(config, zeroGrad, expAvg.length, expAvg.length == 0 ? 0 : expAvg[0].length);
    for (int r = 0; r < expAvg.length; r++) {
      System.arraycopy(expAvg[r], 0, this.expAvg[r], 0, expAvg[r].length);
      System.arraycopy(expAvgSq[r], 0, this.expAvgSq[r], 0, expAvgSq[r].length);
    }
    System.arraycopy(steps, 0, this.steps, 0, steps.length);
    System.arraycopy(hasGradient, 0, this.hasGradient, 0, hasGradient.length);
  }

  /**
   * One optimiser step over all routers. {@code gradients[r]} is the gradient of router r, or null
   * if router r was not used in this iteration. Updates {@code logits} in place.
   */
  public void step(float[][] logits, float[][] gradients) {
    float[] zeros = null;
    for (int r = 0; r < logits.length; r++) {
      float[] g = gradients[r];
      if (g != null) {
        hasGradient[r] = true;
      } else if (zeroGrad == ZeroGrad.ZERO_FILL && hasGradient[r]) {
        if (zeros == null) zeros = new float[logits[r].length];
        g = zeros;
      }
      if (g != null) {
        stepOne(r, logits[r], g);
      }
    }
  }

  // torch 1.13 _single_tensor_adamw; scalar factors are Python doubles, cast to float by the CPU
  // kernels.
  private void stepOne(int r, float[] p, float[] g) {
    long step = ++steps[r];
    double lr = config.lr();
    double beta1 = config.beta1();
    double beta2 = config.beta2();
    float decay = (float) (1.0 - lr * config.weightDecay());
    float b1 = (float) beta1;
    float oneMinusB1 = (float) (1.0 - beta1);
    float b2 = (float) beta2;
    float oneMinusB2 = (float) (1.0 - beta2);
    double biasCorrection1 = 1.0 - Math.pow(beta1, step);
    double biasCorrection2 = 1.0 - Math.pow(beta2, step);
    float negStepSize = (float) (-(lr / biasCorrection1));
    float bc2Sqrt = (float) Math.sqrt(biasCorrection2);
    float eps = (float) config.eps();
    float[] m = expAvg[r];
    float[] v = expAvgSq[r];
    for (int i = 0; i < p.length; i++) {
      if (config.weightDecay() != 0) p[i] = p[i] * decay;
      m[i] = m[i] * b1 + oneMinusB1 * g[i];
      v[i] = v[i] * b2 + oneMinusB2 * g[i] * g[i];
      float denom = (float) Math.sqrt(v[i]) / bc2Sqrt + eps;
      p[i] = p[i] + negStepSize * (m[i] / denom);
    }
  }

  public AdamWConfig config() {
    return config;
  }

  public ZeroGrad zeroGrad() {
    return zeroGrad;
  }

  /** Adam's first moment of router r (a copy). */
  public float[] expAvg(int r) {
    return expAvg[r].clone();
  }

  /** Adam's second moment of router r (a copy). */
  public float[] expAvgSq(int r) {
    return expAvgSq[r].clone();
  }

  /** How many optimiser steps router r has taken (torch's per-parameter {@code step}). */
  public long steps(int r) {
    return steps[r];
  }

  public boolean hasGradient(int r) {
    return hasGradient[r];
  }

  public int routers() {
    return steps.length;
  }

  @Override
  public boolean equals(Object o) {
    if (!(o instanceof AdamW)) return false;
    AdamW a = (AdamW) o;
    return config.equals(a.config)
        && zeroGrad == a.zeroGrad
        && Arrays.deepEquals(expAvg, a.expAvg)
        && Arrays.deepEquals(expAvgSq, a.expAvgSq)
        && Arrays.equals(steps, a.steps)
        && Arrays.equals(hasGradient, a.hasGradient);
  }

  @Override
  public int hashCode() {
    return Arrays.hashCode(steps);
  }
}
