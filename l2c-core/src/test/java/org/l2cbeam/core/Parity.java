package org.l2cbeam.core;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertTrue;

import ai.djl.ndarray.NDArray;
import org.l2cbeam.core.io.TensorData;

/**
 * Reference-vector comparisons: max-abs-error relative to max|reference|, the manifest's tolerance
 * rule. Every comparison here fails on a NaN or an infinity on either side, whatever the tolerance:
 * {@code max(worst, NaN)} and {@code NaN > tol} are both false in Java, so a plain max-and-compare
 * would let a NaN through.
 */
public final class Parity {
  /** Single forwards: an independent float64 recomputation agrees to 0.5-1.3e-5 of max|ref|. */
  public static final double FORWARD = 3e-5;

  /**
   * Along sampling trajectories, with values up to ~1e3 under random weights; checked step by step.
   */
  public static final double TRAJECTORY = 1e-4;

  private Parity() {}

  /** max|actual − expected| / max|expected| (the max error itself where expected is all zeros). */
  public static double relativeError(String what, double[] actual, double[] expected) {
    double maxErr = maxAbsDifference(what, actual, expected);
    double maxRef = 0;
    for (double e : expected) maxRef = Math.max(maxRef, Math.abs(e));
    return maxRef == 0 ? maxErr : maxErr / maxRef;
  }

  public static double relativeError(String what, float[] actual, float[] expected) {
    return relativeError(what, widen(actual), widen(expected));
  }

  /**
   * max|a − b|; an {@link AssertionError} naming the element if either side holds a NaN or an
   * infinity.
   */
  public static double maxAbsDifference(String what, double[] a, double[] b) {
    if (a.length != b.length) {
      throw new AssertionError(what + ": length " + a.length + " != expected " + b.length);
    }
    double max = 0;
    for (int i = 0; i < a.length; i++) {
      if (!Double.isFinite(a[i]) || !Double.isFinite(b[i])) {
        throw new AssertionError(what + "[" + i + "]: " + a[i] + " vs " + b[i] + " is not finite");
      }
      max = Math.max(max, Math.abs(a[i] - b[i]));
    }
    return max;
  }

  public static double maxAbsDifference(String what, float[] a, float[] b) {
    return maxAbsDifference(what, widen(a), widen(b));
  }

  public static double assertClose(
      String what, NDArray actual, TensorData expected, double tolerance) {
    assertArrayEquals(what + " shape", expected.shape(), actual.getShape().getShape());
    return assertClose(what, actual.toFloatArray(), expected.toFloatArray(), tolerance);
  }

  public static double assertClose(
      String what, float[] actual, float[] expected, double tolerance) {
    return assertClose(what, widen(actual), widen(expected), tolerance);
  }

  /**
   * Asserts {@link #relativeError} ≤ {@code tolerance}, printing it so that a run shows its margin.
   */
  public static double assertClose(
      String what, double[] actual, double[] expected, double tolerance) {
    double rel = relativeError(what, actual, expected);
    System.out.printf("parity %-44s rel.err %.3e%n", what, rel);
    assertTrue(what + ": relative max error " + rel + " > " + tolerance, rel <= tolerance);
    return rel;
  }

  /**
   * A trajectory stacked as {@code steps} equal rows, compared row by row, each relative to its own
   * max|reference|: the max over all rows would let the small early steps of a sampler err by the
   * scale of the late ones. Returns the worst row's relative error.
   */
  public static double assertStepsClose(
      String what, float[] actual, float[] expected, int steps, double tolerance) {
    if (actual.length != expected.length || expected.length % steps != 0) {
      throw new AssertionError(
          what
              + ": lengths "
              + actual.length
              + " and "
              + expected.length
              + " are not "
              + steps
              + " equal steps");
    }
    int per = expected.length / steps;
    double worst = 0;
    for (int s = 0; s < steps; s++) {
      worst =
          Math.max(
              worst,
              assertClose(
                  what + " step " + s, slice(actual, s, per), slice(expected, s, per), tolerance));
    }
    return worst;
  }

  /** Row {@code row} of {@code per} values. */
  public static float[] slice(float[] values, int row, int per) {
    return java.util.Arrays.copyOfRange(values, row * per, (row + 1) * per);
  }

  private static double[] widen(float[] v) {
    double[] d = new double[v.length];
    for (int i = 0; i < v.length; i++) d[i] = v[i];
    return d;
  }
}
