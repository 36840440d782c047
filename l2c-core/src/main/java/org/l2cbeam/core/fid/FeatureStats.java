package org.l2cbeam.core.fid;

import java.io.Serializable;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * A mergeable accumulator of feature statistics whose result does not depend on how the features
 * were split or in which order the parts were merged: the count, and the raw sums {@code S1 = sum
 * x} and {@code S2 = sum x x^T}, each kept as a compensated pair of doubles (a value and its
 * running rounding error, about 106 bits together).
 *
 * <p>Why raw sums rather than a running mean and centred co-moment (Chan et al.'s update): every
 * update of a running mean rounds differently depending on what was folded in before, so two Beam
 * runs that bundle the same images differently gave FIDs differing in the 11th digit, and a
 * benchmark could not be reproduced bit for bit. Here the product of two float32 features is exact
 * in a double, and the compensated sums carry the rest to about 2^-100 relative, so any
 * partitioning and merge order reach the same pair up to that error, and the mean and covariance
 * (rounded once from it to a double) come out identical unless a value falls within about 2^-100 of
 * a rounding boundary. The extra bits also cover what centring was for: {@code S2 - S1 S1^T / n} is
 * formed in the same double-double arithmetic, so the cancellation when the mean is large next to
 * the spread costs nothing visible. (For float64 features, {@link #add(double[][])}, the products
 * round once each: still deterministic for a fixed split, and order-independent only to about 1e-16
 * relative.)
 *
 * <p>This is the accumulator of Beam's {@code ComputeFID} combine: {@link #merge}, and {@link
 * #encode}/{@link #decode} for a compact coder (it is also {@link Serializable}). Not thread-safe:
 * one instance per thread or bundle.
 */
public final class FeatureStats implements Serializable {
  private static final long serialVersionUID = 2L;
  private static final int MAGIC = 0x4c324653; // "L2FS"

  /** Version 2: compensated raw sums (version 1 held a mean and a centred co-moment). */
  private static final int VERSION = 2;

  private final int dim;
  private long count;

  /** {@code S1} as value + error, per feature. */
  private final double[] sumHi;

  private final double[] sumLo;

  /**
   * {@code S2} as value + error, row-major dim x dim; only the upper triangle (c >= r) is kept up
   * to date.
   */
  private final double[] productHi;

  private final double[] productLo;

  public FeatureStats(int dim) {
    if (dim <= 0)
      throw new IllegalArgumentException("feature dimension must be positive, got " + dim);
    this.dim = dim;
    this.sumHi = new double[dim];
    this.sumLo = new double[dim];
    this.productHi = new double[dim * dim];
    this.productLo = new double[dim * dim];
  }

  public int dim() {
    return dim;
  }

  public long count() {
    return count;
  }

  /**
   * Adds one batch of float32 features (as pytorch-fid, which widens float32 activations to
   * float64).
   */
  public FeatureStats add(float[][] features) {
    int n = features.length;
    if (n == 0) return this;
    double[] rows = new double[n * dim];
    for (int i = 0; i < n; i++) {
      checkWidth(features[i].length, i);
      for (int j = 0; j < dim; j++) rows[i * dim + j] = features[i][j];
    }
    return addRows(rows, n);
  }

  /** Adds one batch of float64 features. */
  public FeatureStats add(double[][] features) {
    int n = features.length;
    if (n == 0) return this;
    double[] rows = new double[n * dim];
    for (int i = 0; i < n; i++) {
      checkWidth(features[i].length, i);
      System.arraycopy(features[i], 0, rows, i * dim, dim);
    }
    return addRows(rows, n);
  }

  private void checkWidth(int width, int row) {
    if (width != dim) {
      throw new IllegalArgumentException(
          "feature row "
              + row
              + " has "
              + width
              + " values, these statistics have dimension "
              + dim);
    }
  }

  /**
   * Folds each row into the sums. The upper triangle of {@code x x^T} is added row by row, reading
   * the row contiguously (the inner loop is plain array arithmetic, which the JIT vectorises); zero
   * features (ReLU outputs) add nothing and are skipped.
   */
  private FeatureStats addRows(double[] rows, int n) {
    for (int i = 0; i < n; i++) {
      int row = i * dim;
      for (int r = 0; r < dim; r++) {
        double xr = rows[row + r];
        if (xr == 0) continue;
        accumulate(sumHi, sumLo, r, xr);
        int base = r * dim;
        for (int c = r; c < dim; c++) {
          accumulate(productHi, productLo, base + c, xr * rows[row + c]);
        }
      }
    }
    count += n;
    return this;
  }

  /**
   * {@code hi[k] + lo[k] += v}: Knuth's TwoSum gives the exact rounding error of the addition, kept
   * in lo.
   */
  private static void accumulate(double[] hi, double[] lo, int k, double v) {
    double a = hi[k];
    double s = a + v;
    double bv = s - a;
    lo[k] += (a - (s - bv)) + (v - bv);
    hi[k] = s;
  }

  /** Folds another accumulator into this one (the other is unchanged). */
  public FeatureStats merge(FeatureStats other) {
    if (other.dim != dim) {
      throw new IllegalArgumentException(
          "cannot merge feature statistics of dimension " + other.dim + " into dimension " + dim);
    }
    if (other.count == 0) return this;
    for (int j = 0; j < dim; j++) {
      accumulate(sumHi, sumLo, j, other.sumHi[j]);
      sumLo[j] += other.sumLo[j];
    }
    for (int r = 0; r < dim; r++) {
      for (int c = r; c < dim; c++) {
        int k = r * dim + c;
        accumulate(productHi, productLo, k, other.productHi[k]);
        productLo[k] += other.productLo[k];
      }
    }
    count += other.count;
    return this;
  }

  /** The mean, {@code np.mean(act, axis=0)}. */
  public double[] mu() {
    requireAtLeast(1);
    double[] mu = new double[dim];
    for (int j = 0; j < dim; j++) mu[j] = divide(sumHi[j], sumLo[j], count);
    return mu;
  }

  /** The covariance with ddof = 1, {@code np.cov(act, rowvar=False)}, row-major dim x dim. */
  public double[] sigma() {
    requireAtLeast(2);
    double[] s = new double[dim * dim];
    double n = count;
    for (int r = 0; r < dim; r++) {
      for (int c = r; c < dim; c++) {
        // S1[r] S1[c] as value + error: the product of the high parts exactly (fma), plus the cross
        // terms.
        double p = sumHi[r] * sumHi[c];
        double pLo = Math.fma(sumHi[r], sumHi[c], -p) + sumHi[r] * sumLo[c] + sumLo[r] * sumHi[c];
        // ... divided by n, the remainder of the high part exact (fma) ...
        double q = p / n;
        double qLo = (Math.fma(-q, n, p) + pLo) / n;
        // ... subtracted from S2: the centred co-moment, then ddof = 1.
        int k = r * dim + c;
        double d = productHi[k] - q;
        double bq = productHi[k] - d;
        double dLo = ((productHi[k] - (d + bq)) + (bq - q)) + productLo[k] - qLo;
        double v = (d + dLo) / (n - 1);
        s[k] = v;
        s[c * dim + r] = v;
      }
    }
    return s;
  }

  /** {@code (hi + lo) / n} with the remainder of {@code hi / n} carried exactly. */
  private static double divide(double hi, double lo, double n) {
    double q = hi / n;
    return q + (Math.fma(-q, n, hi) + lo) / n;
  }

  /**
   * The mean and covariance, ready for {@link FrechetDistance} or to be saved as a stats {@code
   * .npz}.
   */
  public FidStats toFidStats() {
    return new FidStats(mu(), sigma());
  }

  private void requireAtLeast(long needed) {
    if (count < needed) {
      throw new IllegalStateException(
          "FID statistics need at least "
              + needed
              + " images (a covariance needs 2), got "
              + count);
    }
  }

  /**
   * Compact big-endian encoding: magic, version, dim, count, then {@code S1} (values, errors) and
   * the upper triangle of {@code S2} (values, errors), i.e. {@code 20 + 16 * (dim + dim*(dim+1)/2)}
   * bytes (33.6 MB for Inception's 2048).
   */
  public byte[] encode() {
    int tri = dim * (dim + 1) / 2;
    ByteBuffer b = ByteBuffer.allocate(20 + 16 * (dim + tri)).order(ByteOrder.BIG_ENDIAN);
    b.putInt(MAGIC).putInt(VERSION).putInt(dim).putLong(count);
    for (int j = 0; j < dim; j++) b.putDouble(sumHi[j]).putDouble(sumLo[j]);
    for (int r = 0; r < dim; r++) {
      for (int c = r; c < dim; c++)
        b.putDouble(productHi[r * dim + c]).putDouble(productLo[r * dim + c]);
    }
    return b.array();
  }

  /** Inverse of {@link #encode}; the error says what is wrong with the bytes. */
  public static FeatureStats decode(byte[] bytes) {
    ByteBuffer b = ByteBuffer.wrap(bytes).order(ByteOrder.BIG_ENDIAN);
    if (bytes.length < 20 || b.getInt() != MAGIC) {
      throw new IllegalArgumentException(
          "not an encoded FeatureStats (bad magic or too short: " + bytes.length + " bytes)");
    }
    int version = b.getInt();
    if (version != VERSION) {
      throw new IllegalArgumentException(
          "unsupported FeatureStats encoding version "
              + version
              + " (this build reads version "
              + VERSION
              + ")");
    }
    int dim = b.getInt();
    long count = b.getLong();
    if (dim <= 0 || count < 0) {
      throw new IllegalArgumentException(
          "corrupt FeatureStats encoding: dim " + dim + ", count " + count);
    }
    long expected = 20 + 16L * (dim + (long) dim * (dim + 1) / 2);
    if (bytes.length != expected) {
      throw new IllegalArgumentException(
          "corrupt FeatureStats encoding: "
              + bytes.length
              + " bytes, dimension "
              + dim
              + " needs "
              + expected);
    }
    FeatureStats s = new FeatureStats(dim);
    s.count = count;
    for (int j = 0; j < dim; j++) {
      s.sumHi[j] = b.getDouble();
      s.sumLo[j] = b.getDouble();
    }
    for (int r = 0; r < dim; r++) {
      for (int c = r; c < dim; c++) {
        s.productHi[r * dim + c] = b.getDouble();
        s.productLo[r * dim + c] = b.getDouble();
      }
    }
    return s;
  }

  @Override
  public boolean equals(Object o) {
    if (!(o instanceof FeatureStats)) return false;
    FeatureStats s = (FeatureStats) o;
    return dim == s.dim
        && count == s.count
        && Arrays.equals(sumHi, s.sumHi)
        && Arrays.equals(sumLo, s.sumLo)
        && upperEquals(productHi, s.productHi)
        && upperEquals(productLo, s.productLo);
  }

  /** Equality of the kept upper triangles (the lower one is not maintained). */
  private boolean upperEquals(double[] a, double[] b) {
    for (int r = 0; r < dim; r++) {
      if (!Arrays.equals(a, r * dim + r, r * dim + dim, b, r * dim + r, r * dim + dim))
        return false;
    }
    return true;
  }

  @Override
  public int hashCode() {
    return 31 * (31 * dim + Long.hashCode(count)) + Arrays.hashCode(sumHi);
  }

  @Override
  public String toString() {
    return "FeatureStats{dim=" + dim + ", count=" + count + "}";
  }
}
