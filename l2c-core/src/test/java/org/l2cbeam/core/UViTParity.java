package org.l2cbeam.core;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertTrue;

import ai.djl.ndarray.NDArray;
import org.l2cbeam.core.io.TensorData;

/** Reference-vector comparisons: max-abs-error relative to max|reference|, the manifest's tolerance rule. */
public final class UViTParity {
  /** Single forwards: an independent float64 recomputation agrees to 0.5-1.3e-5 of max|ref|. */
  public static final double FORWARD = 3e-5;
  /** Along sampling trajectories, with values up to ~1e3 under random weights. */
  public static final double TRAJECTORY = 1e-4;

  private UViTParity() {}

  /** max|actual − expected| / max|expected|. */
  public static double relativeError(float[] actual, float[] expected) {
    if (actual.length != expected.length) {
      throw new AssertionError("length " + actual.length + " != expected " + expected.length);
    }
    double maxRef = 0;
    double maxErr = 0;
    for (int i = 0; i < expected.length; i++) {
      maxRef = Math.max(maxRef, Math.abs(expected[i]));
      maxErr = Math.max(maxErr, Math.abs((double) actual[i] - expected[i]));
    }
    return maxRef == 0 ? maxErr : maxErr / maxRef;
  }

  public static double assertClose(String what, NDArray actual, TensorData expected, double tolerance) {
    assertArrayEquals(what + " shape", expected.shape(), actual.getShape().getShape());
    return assertClose(what, actual.toFloatArray(), expected.toFloatArray(), tolerance);
  }

  public static double assertClose(String what, float[] actual, float[] expected, double tolerance) {
    double rel = relativeError(actual, expected);
    assertTrue(what + ": relative max error " + rel + " > " + tolerance, rel <= tolerance);
    return rel;
  }
}
