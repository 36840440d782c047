package org.l2cbeam.core.router.train;

import java.util.Locale;

/**
 * AdamW hyperparameters; the defaults are those of the released L2C routers (the authors' README),
 * constant LR.
 */
public final class AdamWConfig {
  public static final double DEFAULT_LR = 1e-3;

  private final double lr;
  private final double beta1;
  private final double beta2;
  private final double eps;
  private final double weightDecay;

  public AdamWConfig(double lr, double beta1, double beta2, double eps, double weightDecay) {
    check(lr > 0 && Double.isFinite(lr), "learning rate must be positive, got " + lr);
    check(beta1 >= 0 && beta1 < 1, "beta1 must be in [0,1), got " + beta1);
    check(beta2 >= 0 && beta2 < 1, "beta2 must be in [0,1), got " + beta2);
    check(eps > 0, "eps must be positive, got " + eps);
    check(weightDecay >= 0, "weight decay must be >= 0, got " + weightDecay);
    this.lr = lr;
    this.beta1 = beta1;
    this.beta2 = beta2;
    this.eps = eps;
    this.weightDecay = weightDecay;
  }

  /** lr as given, betas (0.9, 0.999), eps 1e-8, weight decay 0: the original's optimiser. */
  public static AdamWConfig l2c(double lr) {
    return new AdamWConfig(lr, 0.9, 0.999, 1e-8, 0.0);
  }

  private static void check(boolean ok, String message) {
    if (!ok) throw new IllegalArgumentException(message);
  }

  public double lr() {
    return lr;
  }

  public double beta1() {
    return beta1;
  }

  public double beta2() {
    return beta2;
  }

  public double eps() {
    return eps;
  }

  public double weightDecay() {
    return weightDecay;
  }

  @Override
  public boolean equals(Object o) {
    if (!(o instanceof AdamWConfig)) return false;
    AdamWConfig c = (AdamWConfig) o;
    return lr == c.lr
        && beta1 == c.beta1
        && beta2 == c.beta2
        && eps == c.eps
        && weightDecay == c.weightDecay;
  }

  @Override
  public int hashCode() {
    return Double.hashCode(lr) * 31 + Double.hashCode(beta2);
  }

  @Override
  public String toString() {
    return String.format(
        Locale.ROOT,
        "AdamW(lr=%s, betas=(%s, %s), eps=%s, weight_decay=%s)",
        lr,
        beta1,
        beta2,
        eps,
        weightDecay);
  }
}
