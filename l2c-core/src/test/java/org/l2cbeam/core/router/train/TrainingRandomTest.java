package org.l2cbeam.core.router.train;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNotEquals;
import static org.junit.Assert.assertTrue;

import org.junit.Test;

public class TrainingRandomTest {
  @Test
  public void streamsArePureFunctionsOfTheirKey() {
    float[] a = TrainingRandom.stream(3, TrainingRandom.Purpose.NOISE, 41).gaussians(100);
    float[] b = TrainingRandom.stream(3, TrainingRandom.Purpose.NOISE, 41).gaussians(100);
    assertArrayEquals(a, b, 0f);
    float[] c = TrainingRandom.stream(3, TrainingRandom.Purpose.NOISE, 42).gaussians(100);
    float[] d = TrainingRandom.stream(3, TrainingRandom.Purpose.LABEL_DROPOUT, 41).gaussians(100);
    float[] e = TrainingRandom.stream(4, TrainingRandom.Purpose.NOISE, 41).gaussians(100);
    assertNotEquals(a[0], c[0], 0f);
    assertNotEquals(a[0], d[0], 0f);
    assertNotEquals(a[0], e[0], 0f);
  }

  @Test
  public void gaussiansHaveUnitMomentsAndUniformIntsCoverTheRange() {
    TrainingRandom r = TrainingRandom.stream(0, TrainingRandom.Purpose.NOISE, 0);
    double s = 0;
    double sq = 0;
    int n = 200_000;
    for (int i = 0; i < n; i++) {
      double g = r.nextGaussian();
      s += g;
      sq += g * g;
    }
    assertEquals(0, s / n, 0.01);
    assertEquals(1, sq / n, 0.01);
    int[] counts = new int[10];
    for (int i = 0; i < 100_000; i++) counts[r.nextInt(10)]++;
    for (int c : counts) assertEquals(10_000, c, 500);
    int[] p = r.permutation(50);
    boolean[] seen = new boolean[50];
    for (int x : p) seen[x] = true;
    for (boolean x : seen) assertTrue(x);
  }
}
