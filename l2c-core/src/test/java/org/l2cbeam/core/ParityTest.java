package org.l2cbeam.core;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertThrows;

import org.junit.Test;

/**
 * The comparison helpers themselves: a NaN or an infinity fails every one of them, on either side.
 */
public class ParityTest {
  private static final float[] NON_FINITE = {
    Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY
  };
  private static final float[] REF = {1f, -2f, 4f, 0.5f};

  private static float[] with(float[] values, int at, float v) {
    float[] copy = values.clone();
    copy[at] = v;
    return copy;
  }

  @Test
  public void nonFiniteValuesFailWhateverTheTolerance() {
    for (float bad : NON_FINITE) {
      for (int at = 0; at < REF.length; at++) {
        float[] actual = with(REF, at, bad);
        AssertionError e =
            assertThrows(
                AssertionError.class,
                () -> Parity.assertClose("x", actual, REF, Double.POSITIVE_INFINITY));
        assertThat(e.getMessage(), containsString("x[" + at + "]"));
        assertThat(e.getMessage(), containsString("not finite"));
        // ...in the reference too, and where the helper's result is compared the other way round
        // ("differs").
        assertThrows(
            AssertionError.class,
            () -> Parity.assertClose("x", REF, actual, Double.POSITIVE_INFINITY));
        assertThrows(AssertionError.class, () -> Parity.relativeError("x", actual, REF));
        assertThrows(AssertionError.class, () -> Parity.maxAbsDifference("x", REF, actual));
        assertThrows(
            AssertionError.class,
            () -> Parity.assertStepsClose("x", actual, REF, 2, Double.MAX_VALUE));
        double[] wide = {1, -2, 4, 0.5};
        double[] badWide = wide.clone();
        badWide[at] = bad;
        assertThrows(
            AssertionError.class, () -> Parity.assertClose("x", badWide, wide, Double.MAX_VALUE));
      }
    }
    float[] allNaN = {Float.NaN, Float.NaN};
    assertThrows(
        AssertionError.class, () -> Parity.assertClose("both NaN", allNaN, allNaN.clone(), 1));
  }

  @Test
  public void relativeErrorIsTheMaxErrorOverTheMaxReference() {
    assertEquals(0.25 / 4, Parity.relativeError("x", with(REF, 3, 0.75f), REF), 1e-12);
    assertEquals(0.0, Parity.assertClose("x", REF, REF.clone(), 0), 0);
    assertThrows(AssertionError.class, () -> Parity.assertClose("x", with(REF, 0, 1.5f), REF, 0.1));
    assertThrows(AssertionError.class, () -> Parity.relativeError("x", new float[3], REF));
  }

  /**
   * Step 0 is small, step 1 large: a 1% error at step 0 is 1e-4 of the whole stack but 1e-2 of its
   * own step.
   */
  @Test
  public void stepsAreComparedEachAgainstItsOwnScale() {
    float[] expected = {1f, -1f, 100f, -100f};
    float[] actual = {1.01f, -1f, 100f, -100f};
    assertThrows(
        AssertionError.class, () -> Parity.assertStepsClose("traj", actual, expected, 2, 1e-3));
    Parity.assertClose("stacked", actual, expected, 1e-3);
    assertEquals(0.01, Parity.assertStepsClose("traj", actual, expected, 2, 2e-2), 1e-6);
    assertThrows(
        AssertionError.class, () -> Parity.assertStepsClose("traj", actual, expected, 3, 1));
  }
}
