package org.l2cbeam.pipelines.report;

import java.util.List;
import java.util.Locale;

/**
 * A mean over request sets and its standard error ({@code sd / sqrt(n)}, sample standard deviation;
 * NaN with one set). FID at a few hundred samples moves by about a point between seed blocks, so a
 * difference between two settings means something only next to its error bar; and the difference of
 * two settings on the same requests (paired) has a far smaller error bar than either FID, because
 * most of the sampling noise is common to both.
 *
 * @param mean the mean over the sets
 * @param standardError the standard error of the mean, NaN for one set
 * @param sets the number of request sets
 */
public record Estimate(double mean, double standardError, int sets) {
  /** Mean and standard error of {@code values}, one per request set. */
  public static Estimate of(List<Double> values) {
    int n = values.size();
    if (n == 0) throw new IllegalArgumentException("an estimate needs at least one request set");
    double sum = 0;
    for (double v : values) sum += v;
    double mean = sum / n;
    if (n == 1) return new Estimate(mean, Double.NaN, 1);
    double squares = 0;
    for (double v : values) squares += (v - mean) * (v - mean);
    return new Estimate(mean, Math.sqrt(squares / (n - 1) / n), n);
  }

  /** {@code a − b} set by set (the same requests in both), as an estimate. */
  public static Estimate pairedDifference(List<Double> a, List<Double> b) {
    if (a.size() != b.size()) {
      throw new IllegalArgumentException(
          "a paired difference needs the same request sets on both sides, got "
              + a.size()
              + " and "
              + b.size());
    }
    List<Double> d = new java.util.ArrayList<>();
    for (int i = 0; i < a.size(); i++) d.add(a.get(i) - b.get(i));
    return of(d);
  }

  public boolean hasError() {
    return sets > 1;
  }

  /**
   * Half-width of the two-sided 95% confidence interval of the mean, {@code t(sets − 1) ×
   * standardError}: with 4 sets Student's t is 3.18, not 1.96, because the standard error itself is
   * estimated from 4 values. NaN for one set.
   */
  public double halfWidth95() {
    return hasError() ? studentT975(sets - 1) * standardError : Double.NaN;
  }

  /**
   * True when zero lies outside the 95% confidence interval of the mean (a difference that is not
   * noise).
   */
  public boolean clearOfZero() {
    return hasError() && Math.abs(mean) > halfWidth95();
  }

  /**
   * The 0.975 quantile of Student's t with {@code df} degrees of freedom (above 30: 1.96 + 2.4 /
   * df, within 0.1%).
   */
  static double studentT975(int df) {
    if (df < 1)
      throw new IllegalArgumentException("degrees of freedom must be positive, got " + df);
    return df <= T975.length ? T975[df - 1] : 1.96 + 2.4 / df;
  }

  private static final double[] T975 = {
    12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.160,
        2.145, 2.131,
    2.120, 2.110, 2.101, 2.093, 2.086, 2.080, 2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048,
        2.045, 2.042
  };

  /** {@code 21.29 ± 0.45}, or {@code 21.29} for one set; {@code signed} adds a leading sign. */
  public String format(boolean signed) {
    String m = String.format(Locale.ROOT, signed ? "%+.2f" : "%.2f", mean);
    return hasError() ? m + String.format(Locale.ROOT, " ± %.2f", standardError) : m;
  }
}
