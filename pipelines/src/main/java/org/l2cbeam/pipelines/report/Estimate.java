package org.l2cbeam.pipelines.report;

import java.util.List;
import java.util.Locale;

/**
 * A mean over request sets and its standard error ({@code sd / sqrt(n)}, sample standard deviation; NaN with one
 * set). FID at a few hundred samples moves by about a point between seed blocks, so a difference between two settings
 * means something only next to its error bar; and the difference of two settings on the same requests (paired) has a
 * far smaller error bar than either FID, because most of the sampling noise is common to both.
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
          "a paired difference needs the same request sets on both sides, got " + a.size() + " and " + b.size());
    }
    List<Double> d = new java.util.ArrayList<>();
    for (int i = 0; i < a.size(); i++) d.add(a.get(i) - b.get(i));
    return of(d);
  }

  public boolean hasError() {
    return sets > 1;
  }

  /** True when the mean is more than two standard errors away from zero (about 95%, for a difference). */
  public boolean clearOfZero() {
    return hasError() && Math.abs(mean) > 2 * standardError;
  }

  /** {@code 21.29 ± 0.45}, or {@code 21.29} for one set; {@code signed} adds a leading sign. */
  public String format(boolean signed) {
    String m = String.format(Locale.ROOT, signed ? "%+.2f" : "%.2f", mean);
    return hasError() ? m + String.format(Locale.ROOT, " ± %.2f", standardError) : m;
  }
}
