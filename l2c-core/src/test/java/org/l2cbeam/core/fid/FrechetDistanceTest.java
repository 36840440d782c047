package org.l2cbeam.core.fid;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertThrows;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.Test;
import org.l2cbeam.core.TestResources;
import org.l2cbeam.core.io.WeightMap;

public class FrechetDistanceTest {
  private static final WeightMap FID = WeightMap.open(TestResources.vector("fid.safetensors"));

  private static double[] t(String name) {
    return FID.get(name).toDoubleArray();
  }

  @Test
  public void matchesPytorchFidOnTheVectorStatistics() {
    double expected = t("distance")[0];
    double fid =
        FrechetDistance.compute(
            new FidStats(t("mu1"), t("sigma1")), new FidStats(t("mu2"), t("sigma2")));
    assertEquals(expected, fid, 1e-6 * expected);
    // symmetric in its arguments, like the exact formula
    double swapped =
        FrechetDistance.compute(
            new FidStats(t("mu2"), t("sigma2")), new FidStats(t("mu1"), t("sigma1")));
    assertEquals(expected, swapped, 1e-6 * expected);
  }

  @Test
  public void statisticsFromFeaturesGiveTheReferenceDistance() {
    FidStats a = new FeatureStats(64).add(FeatureStatsTest.rows("feat1")).toFidStats();
    FidStats b = new FeatureStats(64).add(FeatureStatsTest.rows("feat2")).toFidStats();
    double expected = t("distance")[0];
    assertEquals(expected, FrechetDistance.compute(a, b), 1e-6 * expected);
    assertEquals(0.0, FrechetDistance.compute(a, a), 1e-9);
  }

  /**
   * Fewer images than dimensions: rank-deficient (singular) sigmas. pytorch-fid (scipy's sqrtm)
   * returns a finite value without the eps retry; so do we. Reference (numpy 2.4 / scipy 1.17,
   * calculate_frechet_distance): with k = i*d + j, a[i][j] = sin(1.3k + 0.1), b[i][j] = cos(0.7k) +
   * 0.1, (n, d) = (3, 8) gives 8.798912486696523 and (10, 64) gives 70.27204203449783.
   */
  @Test
  public void singularSigmaFromFewImagesIsHandledAsPytorchFid() {
    assertSingularCase(3, 8, 8.798912486696523);
    assertSingularCase(10, 64, 70.27204203449783);
  }

  private static void assertSingularCase(int n, int d, double expected) {
    double[][] a = new double[n][d];
    double[][] b = new double[n][d];
    for (int i = 0; i < n; i++) {
      for (int j = 0; j < d; j++) {
        int k = i * d + j;
        a[i][j] = Math.sin(1.3 * k + 0.1);
        b[i][j] = Math.cos(0.7 * k) + 0.1;
      }
    }
    FidStats sa = new FeatureStats(d).add(a).toFidStats();
    FidStats sb = new FeatureStats(d).add(b).toFidStats();
    ByteArrayOutputStream warnings = new ByteArrayOutputStream();
    double fid =
        FrechetDistance.compute(
            sa, sb, 1e-6, new PrintStream(warnings, true, StandardCharsets.UTF_8));
    assertEquals(expected, fid, 1e-6 * expected);
    assertEquals("", warnings.toString(StandardCharsets.UTF_8));
  }

  /**
   * sigma1 = diag(1, 2, -1, 1), sigma2 = I: scipy's sqrtm is complex with |imag| 1 and pytorch-fid
   * raises.
   */
  @Test
  public void indefiniteSigmaRaisesTheImaginaryComponentError() {
    double[] mu = new double[4];
    ArithmeticException e =
        assertThrows(
            ArithmeticException.class,
            () ->
                FrechetDistance.compute(
                    new FidStats(mu, diag(1, 2, -1, 1)), new FidStats(mu, diag(1, 1, 1, 1))));
    assertThat(e.getMessage(), containsString("Imaginary component 1.0"));
    // the same with the roles swapped (the other sigma is rooted)
    e =
        assertThrows(
            ArithmeticException.class,
            () ->
                FrechetDistance.compute(
                    new FidStats(mu, diag(1, 1, 1, 1)), new FidStats(mu, diag(1, 2, -1, 1))));
    assertThat(e.getMessage(), containsString("Imaginary component"));
  }

  /**
   * sigma1 = diag(1, 2, -1e-7, 1), sigma2 = I: imaginary part 3.2e-4 is tolerated; pytorch-fid
   * gives 1.1715727752538108.
   */
  @Test
  public void slightlyIndefiniteSigmaIsToleratedAsPytorchFid() {
    double[] mu = new double[4];
    double fid =
        FrechetDistance.compute(
            new FidStats(mu, diag(1, 2, -1e-7, 1)), new FidStats(mu, diag(1, 1, 1, 1)));
    assertEquals(1.1715727752538108, fid, 1e-12);
  }

  /**
   * A non-diagonal positive definite sigma1 against an indefinite sigma2: the imaginary diagonal of
   * scipy's root is 7.07e-4 for sigma2 = diag(1, -4e-7, 3) (tolerated; FID 2.7074710592723994) and
   * 7.07e-3 for diag(1, -4e-5, 3) (pytorch-fid raises), values from scipy 1.17.
   */
  @Test
  public void imaginaryDiagonalMatchesScipyThroughTheSimilarity() {
    double[] s1 = {2, 1, 0, 1, 2, 0.5, 0, 0.5, 1};
    double[] mu = new double[3];
    double fid = FrechetDistance.compute(new FidStats(mu, s1), new FidStats(mu, diag(1, -4e-7, 3)));
    assertEquals(2.7074710592723994, fid, 1e-12);
    assertEquals(
        0.0007071069226196184,
        FrechetDistance.traceSqrtProduct(s1, diag(1, -4e-7, 3), 3).maxImaginaryDiagonal,
        1e-9);
    ArithmeticException e =
        assertThrows(
            ArithmeticException.class,
            () ->
                FrechetDistance.compute(new FidStats(mu, s1), new FidStats(mu, diag(1, -4e-5, 3))));
    assertThat(e.getMessage(), containsString("Imaginary component 0.00707"));
  }

  /**
   * Both sigmas indefinite: the general eigenvalue route; diag(2,-1) x diag(2,-1) = diag(4, 1) is
   * fine.
   */
  @Test
  public void bothIndefiniteUsesTheGeneralRoute() {
    double[] mu = new double[2];
    double fid =
        FrechetDistance.compute(new FidStats(mu, diag(2, -1)), new FidStats(mu, diag(2, -1)));
    // tr S1 + tr S2 - 2 (sqrt 4 + sqrt 1) = 1 + 1 - 6
    assertEquals(-4.0, fid, 1e-12);
  }

  /**
   * A product too large for float64: the warning and eps retry of pytorch-fid, then a clear error.
   */
  @Test
  public void nonFiniteProductPrintsTheWarningAndRetries() {
    double[] mu = new double[2];
    ByteArrayOutputStream warnings = new ByteArrayOutputStream();
    ArithmeticException e =
        assertThrows(
            ArithmeticException.class,
            () ->
                FrechetDistance.compute(
                    new FidStats(mu, diag(1e300, 1e300)),
                    new FidStats(mu, diag(1e300, 1e300)),
                    1e-6,
                    new PrintStream(warnings, true, StandardCharsets.UTF_8)));
    assertThat(
        warnings.toString(StandardCharsets.UTF_8),
        containsString(
            "fid calculation produces singular product; adding 1.0E-6 to diagonal of cov estimates"));
    assertThat(e.getMessage(), containsString("not finite"));
  }

  @Test
  public void mismatchedDimensionsAreRejected() {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                FrechetDistance.compute(
                    new FidStats(new double[3], diag(1, 1, 1)),
                    new FidStats(new double[2], diag(1, 1))));
    assertThat(e.getMessage(), containsString("different lengths: 3 and 2"));
    e =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                FrechetDistance.compute(
                    new double[2], new double[4], new double[2], new double[9], 1e-6, System.err));
    assertThat(
        e.getMessage(), containsString("covariances have different dimensions: [2, 2] and [3, 3]"));
    e =
        assertThrows(
            IllegalArgumentException.class, () -> new FidStats(new double[3], new double[4]));
    assertThat(e.getMessage(), containsString("3x3"));
  }

  /** A NaN or an infinity in any of the four inputs is named, as pytorch-fid's check names it. */
  @Test
  public void nonFiniteInputIsRejected() {
    double[] finite = new double[2];
    double[] bad = {0, Double.NaN};
    assertNonFiniteNamed("mu1", new FidStats(bad, diag(1, 1)), new FidStats(finite, diag(1, 1)));
    bad[1] = Double.POSITIVE_INFINITY;
    assertNonFiniteNamed("mu2", new FidStats(finite, diag(1, 1)), new FidStats(bad, diag(1, 1)));
    assertNonFiniteNamed(
        "sigma1",
        new FidStats(finite, diag(1, Double.NEGATIVE_INFINITY)),
        new FidStats(finite, diag(1, 1)));
    assertNonFiniteNamed(
        "sigma2", new FidStats(finite, diag(1, 1)), new FidStats(finite, diag(Double.NaN, 1)));
  }

  private static void assertNonFiniteNamed(String name, FidStats a, FidStats b) {
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> FrechetDistance.compute(a, b));
    assertThat(e.getMessage(), containsString(name + " contains infs or NaNs"));
  }

  static double[] diag(double... values) {
    int d = values.length;
    double[] m = new double[d * d];
    for (int i = 0; i < d; i++) m[i * d + i] = values[i];
    return m;
  }
}
