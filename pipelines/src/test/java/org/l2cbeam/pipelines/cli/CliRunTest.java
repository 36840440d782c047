package org.l2cbeam.pipelines.cli;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertThrows;

import org.junit.Test;

/**
 * The CLI tests' comparison helper itself: a NaN or an infinity fails it on either side, whatever
 * the tolerance.
 */
public class CliRunTest {
  private static final float[] REF = {1f, -2f, 4f, 0.5f};

  @Test
  public void nonFiniteValuesFailWhateverTheTolerance() {
    for (float bad : new float[] {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY}) {
      for (int at = 0; at < REF.length; at++) {
        float[] broken = REF.clone();
        broken[at] = bad;
        AssertionError e =
            assertThrows(
                AssertionError.class,
                () -> CliRun.assertClose("x", REF, broken, Double.POSITIVE_INFINITY));
        assertThat(e.getMessage(), containsString("x[" + at + "]"));
        assertThat(e.getMessage(), containsString("not finite"));
        assertThrows(
            AssertionError.class, () -> CliRun.assertClose("x", broken, REF, Double.MAX_VALUE));
        assertThrows(
            AssertionError.class,
            () -> CliRun.assertStepsClose("x", REF, broken, 2, Double.MAX_VALUE));
      }
    }
    float[] nan = {Float.NaN};
    assertThrows(AssertionError.class, () -> CliRun.assertClose("both NaN", nan, nan.clone(), 1));
  }

  @Test
  public void theErrorIsRelativeToTheReferenceAndTrajectoriesToEachStep() {
    float[] off = REF.clone();
    off[3] = 0.75f;
    assertEquals(0.25 / 4, CliRun.assertClose("x", REF, off, 0.1), 1e-12);
    assertThrows(AssertionError.class, () -> CliRun.assertClose("x", REF, off, 0.05));
    // 1% off in the small first step: 1e-4 of the whole stack, but 1e-2 of its own step.
    float[] steps = {1f, -1f, 100f, -100f};
    float[] drift = {1.01f, -1f, 100f, -100f};
    CliRun.assertClose("stacked", steps, drift, 1e-3);
    assertThrows(
        AssertionError.class, () -> CliRun.assertStepsClose("traj", steps, drift, 2, 1e-3));
    CliRun.assertStepsClose("traj", steps, drift, 2, 2e-2);
  }
}
