package org.l2cbeam.core.fid;

import java.io.PrintStream;
import org.ejml.data.Complex_F64;
import org.ejml.data.DMatrixRMaj;
import org.ejml.dense.row.CommonOps_DDRM;
import org.ejml.dense.row.CommonOps_MT_DDRM;
import org.ejml.dense.row.decomposition.TriangularSolver_DDRM;
import org.ejml.dense.row.factory.DecompositionFactory_DDRM;
import org.ejml.interfaces.decomposition.CholeskyDecomposition_F64;
import org.ejml.interfaces.decomposition.EigenDecomposition_F64;

/**
 * The Fréchet distance between two Gaussians, as pytorch-fid's {@code calculate_frechet_distance}:
 *
 * <pre>  FID = |mu1 - mu2|^2 + tr(sigma1) + tr(sigma2) - 2 tr(sqrtm(sigma1 sigma2))</pre>
 *
 * <p>All in float64. pytorch-fid forms the non-symmetric product and calls {@code
 * scipy.linalg.sqrtm} (a Schur method). Only the trace of that square root is needed, and {@code tr
 * sqrtm(S1 S2)} is the sum of the square roots of the eigenvalues of {@code S1 S2}. Those are the
 * eigenvalues of a symmetric matrix similar to it: {@code L^T S2 L} with the Cholesky factor {@code
 * S1 = L L^T} when sigma1 is positive definite (the usual case: one Cholesky, two products and one
 * values-only symmetric eigen-decomposition), else {@code A S2 A} with the symmetric root {@code A
 * = sqrt(S1)} from an eigen-decomposition (singular sigmas, e.g. fewer images than dimensions). All
 * EJML, float64. That is more accurate than a Schur square root of a non-symmetric matrix, and
 * there is no complex arithmetic.
 *
 * <p>How pytorch-fid's safeguards map:
 *
 * <ul>
 *   <li><b>eps retry.</b> If the trace comes out non-finite, or the eigen-decomposition fails to
 *       converge, the warning {@code "fid calculation produces singular product; adding 1e-06 to
 *       diagonal of cov estimates"} is printed (to stderr, so stdout stays machine-readable) and
 *       the trace is recomputed from {@code (S1 + eps I)(S2 + eps I)}, as pytorch-fid does. On
 *       finite, positive semi-definite input the symmetric route always gives a finite answer,
 *       including for singular (rank-deficient) sigmas, e.g. fewer images than feature dimensions:
 *       there the result is the exact trace, equal to what scipy returns whenever its Schur square
 *       root does not fail.
 *   <li><b>Imaginary component.</b> A negative eigenvalue {@code l} of the product gives scipy a
 *       complex square root; pytorch-fid raises {@code ValueError("Imaginary component m")} unless
 *       the imaginary parts of the diagonal are all within 1e-3 of 0, and otherwise takes the real
 *       part. Here the real part of the trace is the sum of {@code sqrt(max(l, 0))} (a purely
 *       imaginary root has real part 0), and the imaginary diagonal of {@code sqrtm(S1 S2)} is
 *       computed exactly from the eigenvectors through the similarity ({@code S1 S2 = L (L^T S2 L)
 *       L^-1}, or {@code A (A S2 A) A^-1}) when the factored sigma is positive definite, or as the
 *       symmetric proxy {@code diag(U |l|^1/2 U^T)} (same trace) when it is singular. Above 1e-3 an
 *       {@link ArithmeticException} "Imaginary component m" is thrown.
 *   <li><b>Non-positive-definite sigma.</b> Handled as pytorch-fid: it is used as given.
 *       Eigenvalues of a sigma within rounding of zero ({@code >= -d * 2^-52 * max|l|}) count as
 *       zero. If one sigma has clearly negative eigenvalues, the other is rooted instead ({@code S2
 *       S1} has the same spectrum and the same diagonal square root, transposed); if both do, the
 *       product's eigenvalues come from a general (non-symmetric) decomposition and the imaginary
 *       check uses {@code max |Im sqrt(l)|}. Negative eigenvalues of the product then surface as
 *       the imaginary-component error, exactly when pytorch-fid raises it.
 *   <li>Mismatched dimensions throw {@link IllegalArgumentException} (pytorch-fid asserts);
 *       non-finite inputs throw too (scipy's {@code check_finite} rejects them).
 * </ul>
 */
public final class FrechetDistance {
  /** pytorch-fid's default diagonal offset for the singular-product retry. */
  public static final double DEFAULT_EPS = 1e-6;

  /** pytorch-fid's {@code np.allclose(diag.imag, 0, atol=1e-3)}. */
  public static final double IMAGINARY_TOLERANCE = 1e-3;

  private FrechetDistance() {}

  public static double compute(FidStats a, FidStats b) {
    return compute(a, b, DEFAULT_EPS, System.err);
  }

  /** The distance; the eps retry's warning goes to {@code warnings}. */
  public static double compute(FidStats a, FidStats b, double eps, PrintStream warnings) {
    return compute(a.muView(), a.sigmaView(), b.muView(), b.sigmaView(), eps, warnings);
  }

  public static double compute(
      double[] mu1,
      double[] sigma1,
      double[] mu2,
      double[] sigma2,
      double eps,
      PrintStream warnings) {
    if (mu1.length != mu2.length) {
      throw new IllegalArgumentException(
          "Training and test mean vectors have different lengths: "
              + mu1.length
              + " and "
              + mu2.length);
    }
    int d = mu1.length;
    if (sigma1.length != sigma2.length || sigma1.length != (long) d * d) {
      throw new IllegalArgumentException(
          "Training and test covariances have different dimensions: "
              + shape(sigma1)
              + " and "
              + shape(sigma2)
              + " for "
              + d
              + "-d means");
    }
    requireFinite(mu1, "mu1");
    requireFinite(mu2, "mu2");
    requireFinite(sigma1, "sigma1");
    requireFinite(sigma2, "sigma2");

    double meanTerm = 0;
    for (int i = 0; i < d; i++) {
      double diff = mu1[i] - mu2[i];
      meanTerm += diff * diff;
    }
    double tr1 = 0;
    double tr2 = 0;
    for (int i = 0; i < d; i++) {
      tr1 += sigma1[i * d + i];
      tr2 += sigma2[i * d + i];
    }

    SqrtTrace covmean = traceSqrtProduct(sigma1, sigma2, d);
    if (!covmean.isFinite()) {
      warnings.println(
          "fid calculation produces singular product; adding "
              + eps
              + " to diagonal of cov estimates");
      covmean = traceSqrtProduct(addDiagonal(sigma1, d, eps), addDiagonal(sigma2, d, eps), d);
      if (!covmean.isFinite()) {
        throw new ArithmeticException(
            "the trace of sqrtm(sigma1 sigma2) is not finite even after adding "
                + eps
                + " to the diagonals");
      }
    }
    if (covmean.maxImaginaryDiagonal > IMAGINARY_TOLERANCE) {
      throw new ArithmeticException("Imaginary component " + covmean.maxImaginaryDiagonal);
    }
    return meanTerm + tr1 + tr2 - 2 * covmean.realTrace;
  }

  /**
   * {@code tr sqrtm(S1 S2)}: its real part and the largest |imaginary part| on the diagonal of the
   * root.
   */
  static final class SqrtTrace {
    final double realTrace;
    final double maxImaginaryDiagonal;

    SqrtTrace(double realTrace, double maxImaginaryDiagonal) {
      this.realTrace = realTrace;
      this.maxImaginaryDiagonal = maxImaginaryDiagonal;
    }

    boolean isFinite() {
      return Double.isFinite(realTrace) && Double.isFinite(maxImaginaryDiagonal);
    }

    static SqrtTrace failed() {
      return new SqrtTrace(Double.NaN, Double.NaN);
    }
  }

  static SqrtTrace traceSqrtProduct(double[] sigma1, double[] sigma2, int d) {
    // Fast path for the usual case, a positive definite sigma: with S = L L^T (Cholesky), S S' = L
    // (L^T S' L) L^-1.
    DMatrixRMaj l1 = cholesky(sigma1, d);
    if (l1 != null) return viaCholesky(l1, sigma2, d);
    DMatrixRMaj l2 = cholesky(sigma2, d);
    if (l2 != null)
      return viaCholesky(l2, sigma1, d); // S2 S1 = (S1 S2)^T: same spectrum, same diagonal root
    // Singular or indefinite: symmetric square roots by eigen-decomposition.
    SymmetricEigen e1 = SymmetricEigen.of(sigma1, d, true);
    if (e1 == null) return SqrtTrace.failed();
    if (e1.isPositiveSemiDefinite()) {
      return viaSymmetricRoot(e1, sigma2, d);
    }
    SymmetricEigen e2 = SymmetricEigen.of(sigma2, d, true);
    if (e2 == null) return SqrtTrace.failed();
    if (e2.isPositiveSemiDefinite()) {
      // S2 S1 = (S1 S2)^T: same eigenvalues, and sqrtm of it is the transpose, so the same
      // diagonal.
      return viaSymmetricRoot(e2, sigma1, d);
    }
    return viaGeneralEigenvalues(sigma1, sigma2, d);
  }

  /**
   * The lower Cholesky factor of a symmetric positive definite matrix, or null if it is not
   * positive definite.
   */
  private static DMatrixRMaj cholesky(double[] symmetric, int d) {
    DMatrixRMaj m = new DMatrixRMaj(d, d);
    for (int r = 0; r < d; r++) {
      for (int c = 0; c < d; c++)
        m.data[r * d + c] = 0.5 * (symmetric[r * d + c] + symmetric[c * d + r]);
    }
    CholeskyDecomposition_F64<DMatrixRMaj> chol = DecompositionFactory_DDRM.chol(d, true);
    if (!chol.decompose(m)) return null;
    DMatrixRMaj l = chol.getT(null);
    for (int i = 0; i < d; i++) {
      if (!(l.get(i, i) > 0) || !Double.isFinite(l.get(i, i))) return null;
    }
    return l;
  }

  /**
   * {@code M = L^T S' L} is symmetric and similar to {@code S S'} ({@code S = L L^T}), so its
   * eigenvalues are the product's. Its eigenvectors {@code u} give {@code S S' = V M V^-1} with
   * {@code V = L U}, {@code V^-1 = U^T L^-1}, for the imaginary diagonal.
   */
  private static SqrtTrace viaCholesky(DMatrixRMaj l, double[] other, int d) {
    DMatrixRMaj tmp = new DMatrixRMaj(d, d);
    CommonOps_MT_DDRM.mult(DMatrixRMaj.wrap(d, d, other), l, tmp); // S' L
    DMatrixRMaj m = new DMatrixRMaj(d, d);
    CommonOps_MT_DDRM.multTransA(l, tmp, m); // L^T S' L
    SymmetricEigen product = SymmetricEigen.of(m.data, d, false);
    if (product == null) return SqrtTrace.failed();
    double realTrace = 0;
    boolean anyNegative = false;
    for (double v : product.values) {
      if (v > 0) realTrace += Math.sqrt(v);
      else if (v < 0) anyNegative = true;
    }
    if (!anyNegative) return new SqrtTrace(realTrace, 0);
    product = SymmetricEigen.of(m.data, d, true);
    if (product == null) return SqrtTrace.failed();
    double[] imag = new double[d];
    DMatrixRMaj u = new DMatrixRMaj(d, 1);
    DMatrixRMaj left = new DMatrixRMaj(d, 1);
    DMatrixRMaj right = new DMatrixRMaj(d, 1);
    for (int k = 0; k < d; k++) {
      double v = product.values[k];
      if (!(v < 0)) continue;
      for (int i = 0; i < d; i++) u.data[i] = product.vectors.get(i, k);
      CommonOps_DDRM.mult(l, u, left); // L u
      right.setTo(u);
      TriangularSolver_DDRM.solveTranL(l.data, right.data, d); // L^-T u
      double root = Math.sqrt(-v);
      for (int j = 0; j < d; j++) imag[j] += left.data[j] * root * right.data[j];
    }
    double max = 0;
    for (double x : imag) max = Math.max(max, Math.abs(x));
    return new SqrtTrace(realTrace, max);
  }

  /**
   * With {@code S = W diag(l) W^T} positive semi-definite and {@code s = sqrt(l)}: {@code A S' A}
   * is similar (by {@code W}) to {@code M = diag(s) (W^T S' W) diag(s)}, whose eigenvalues are
   * those of {@code S S'}.
   */
  private static SqrtTrace viaSymmetricRoot(SymmetricEigen root, double[] other, int d) {
    DMatrixRMaj w = root.vectors;
    double[] s = new double[d];
    boolean definite = true;
    for (int i = 0; i < d; i++) {
      double l = root.clampedValues[i];
      s[i] = Math.sqrt(l);
      if (!(l > 0)) definite = false;
    }
    DMatrixRMaj otherM = DMatrixRMaj.wrap(d, d, other);
    DMatrixRMaj tmp = new DMatrixRMaj(d, d);
    CommonOps_MT_DDRM.multTransA(w, otherM, tmp); // W^T S'
    DMatrixRMaj p = new DMatrixRMaj(d, d);
    CommonOps_MT_DDRM.mult(tmp, w, p); // W^T S' W
    double[] m = p.data;
    for (int r = 0; r < d; r++) {
      for (int c = r; c < d; c++) {
        double v = 0.5 * (m[r * d + c] + m[c * d + r]) * s[r] * s[c];
        m[r * d + c] = v;
        m[c * d + r] = v;
      }
    }
    SymmetricEigen product = SymmetricEigen.of(m, d, false);
    if (product == null) return SqrtTrace.failed();
    double realTrace = 0;
    boolean anyNegative = false;
    for (double l : product.values) {
      if (l > 0) realTrace += Math.sqrt(l);
      else if (l < 0) anyNegative = true;
    }
    if (!anyNegative) {
      return new SqrtTrace(realTrace, 0);
    }
    product = SymmetricEigen.of(m, d, true);
    if (product == null) return SqrtTrace.failed();
    return new SqrtTrace(realTrace, maxImaginaryDiagonal(w, s, definite, product, d));
  }

  /**
   * The imaginary part of {@code diag(sqrtm(S S'))}, which comes only from the product's negative
   * eigenvalues. {@code S S' = V M V^-1} with {@code V = W diag(s) U'} and {@code V^-1 = U'^T
   * diag(1/s) W^T}, so entry j is {@code sum_k (W diag(s) u_k)_j sqrt(-l_k) (W diag(1/s) u_k)_j}.
   * Without an inverse (singular S) the symmetric proxy {@code sum_k (W u_k)_j^2 sqrt(-l_k)} is
   * used.
   */
  private static double maxImaginaryDiagonal(
      DMatrixRMaj w, double[] s, boolean definite, SymmetricEigen product, int d) {
    double[] imag = new double[d];
    double[] left = new double[d];
    double[] right = new double[d];
    for (int k = 0; k < d; k++) {
      double l = product.values[k];
      if (!(l < 0)) continue;
      double root = Math.sqrt(-l);
      double[] u = new double[d];
      for (int i = 0; i < d; i++) u[i] = product.vectors.get(i, k);
      for (int j = 0; j < d; j++) {
        double a = 0;
        double b = 0;
        for (int i = 0; i < d; i++) {
          double wji = w.get(j, i);
          a += wji * (definite ? s[i] : 1.0) * u[i];
          b += wji * (definite ? 1.0 / s[i] : 1.0) * u[i];
        }
        left[j] = a;
        right[j] = b;
      }
      for (int j = 0; j < d; j++) imag[j] += left[j] * root * right[j];
    }
    double max = 0;
    for (double v : imag) max = Math.max(max, Math.abs(v));
    return max;
  }

  /** Both sigmas indefinite (not covariances at all): eigenvalues of the non-symmetric product. */
  private static SqrtTrace viaGeneralEigenvalues(double[] sigma1, double[] sigma2, int d) {
    DMatrixRMaj prod = new DMatrixRMaj(d, d);
    CommonOps_MT_DDRM.mult(DMatrixRMaj.wrap(d, d, sigma1), DMatrixRMaj.wrap(d, d, sigma2), prod);
    EigenDecomposition_F64<DMatrixRMaj> eig = DecompositionFactory_DDRM.eig(d, false, false);
    if (!eig.decompose(prod)) return SqrtTrace.failed();
    double realTrace = 0;
    double maxImag = 0;
    for (int k = 0; k < d; k++) {
      Complex_F64 l = eig.getEigenvalue(k);
      // principal square root of re + i im
      double modulus = Math.hypot(l.real, l.imaginary);
      double re = Math.sqrt(0.5 * (modulus + l.real));
      double im = Math.copySign(Math.sqrt(0.5 * Math.max(modulus - l.real, 0)), l.imaginary);
      realTrace += re;
      maxImag = Math.max(maxImag, Math.abs(im));
    }
    return new SqrtTrace(realTrace, maxImag);
  }

  private static double[] addDiagonal(double[] sigma, int d, double eps) {
    double[] out = sigma.clone();
    for (int i = 0; i < d; i++) out[i * d + i] += eps;
    return out;
  }

  private static void requireFinite(double[] values, String name) {
    for (double v : values) {
      if (!Double.isFinite(v)) {
        throw new IllegalArgumentException(name + " contains infs or NaNs");
      }
    }
  }

  private static String shape(double[] sigma) {
    long side = Math.round(Math.sqrt(sigma.length));
    return side * side == sigma.length
        ? "[" + side + ", " + side + "]"
        : "[" + sigma.length + " values]";
  }

  /**
   * Eigenvalues (and optionally vectors, as columns) of a symmetric matrix; null if EJML fails to
   * converge.
   */
  static final class SymmetricEigen {
    final double[] values;

    /** Values with rounding-level negatives set to 0. */
    final double[] clampedValues;

    final DMatrixRMaj vectors;
    private final boolean psd;

    private SymmetricEigen(double[] values, double[] clamped, DMatrixRMaj vectors, boolean psd) {
      this.values = values;
      this.clampedValues = clamped;
      this.vectors = vectors;
      this.psd = psd;
    }

    boolean isPositiveSemiDefinite() {
      return psd;
    }

    static SymmetricEigen of(double[] symmetric, int d, boolean withVectors) {
      DMatrixRMaj m = new DMatrixRMaj(d, d);
      for (int r = 0; r < d; r++) {
        for (int c = 0; c < d; c++)
          m.data[r * d + c] = 0.5 * (symmetric[r * d + c] + symmetric[c * d + r]);
      }
      EigenDecomposition_F64<DMatrixRMaj> eig = DecompositionFactory_DDRM.eig(d, withVectors, true);
      if (!eig.decompose(m)) return null;
      double[] values = new double[d];
      double maxAbs = 0;
      for (int k = 0; k < d; k++) {
        values[k] = eig.getEigenvalue(k).real;
        if (!Double.isFinite(values[k])) return null;
        maxAbs = Math.max(maxAbs, Math.abs(values[k]));
      }
      double tolerance = d * Math.ulp(1.0) * maxAbs;
      double[] clamped = new double[d];
      boolean psd = true;
      for (int k = 0; k < d; k++) {
        if (values[k] < -tolerance) psd = false;
        clamped[k] = Math.max(values[k], 0);
      }
      DMatrixRMaj vectors = null;
      if (withVectors) {
        vectors = new DMatrixRMaj(d, d);
        for (int k = 0; k < d; k++) {
          DMatrixRMaj v = eig.getEigenVector(k);
          if (v == null) return null;
          for (int i = 0; i < d; i++) vectors.set(i, k, v.get(i, 0));
        }
      }
      return new SymmetricEigen(values, clamped, vectors, psd);
    }
  }
}
