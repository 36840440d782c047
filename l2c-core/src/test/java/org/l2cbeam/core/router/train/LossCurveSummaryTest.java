package org.l2cbeam.core.router.train;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;

import java.util.Map;
import org.junit.Test;

public class LossCurveSummaryTest {
  private static TrainingHistory history(int n) {
    TrainingHistory h = new TrainingHistory();
    for (int i = 0; i < n; i++) h.add(i + 0.5f, i, 10f - i / 10f, 4);
    return h;
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> curve(int n) {
    return (Map<String, Object>) LossCurveSummary.of(history(n)).toMap().get("curve");
  }

  @Test
  public void theCurveAveragesEqualWindowsOfTheRun() {
    Map<String, Object> c = curve(45);
    long[] ends = (long[]) c.get("windowEnds");
    double[] mse = (double[]) c.get("mse");
    double[] l1 = (double[]) c.get("l1");
    assertEquals(LossCurveSummary.CURVE_POINTS, ends.length);
    assertEquals(45, ends[ends.length - 1]);
    // window 0 covers iterations [0, 2): MSE 0 and 1; window 19 covers [42, 45)
    assertEquals(2, ends[0]);
    assertEquals(0.5, mse[0], 0);
    assertEquals(43.0, mse[19], 0);
    assertEquals(10f - 0.05f, l1[0], 1e-6);
  }

  @Test
  public void aShortRunHasOnePointPerIteration() {
    Map<String, Object> c = curve(5);
    assertArrayEquals(new long[] {1, 2, 3, 4, 5}, (long[]) c.get("windowEnds"));
    assertArrayEquals(new double[] {0, 1, 2, 3, 4}, (double[]) c.get("mse"), 0);
  }
}
