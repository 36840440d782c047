package org.l2cbeam.core.diffusion;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertThrows;

import org.junit.Test;
import org.l2cbeam.core.TestResources;
import org.l2cbeam.core.io.WeightMap;

public class DpmSolver2STest {
  private static final WeightMap SAMPLING =
      WeightMap.open(TestResources.vector("uvit_sampling.safetensors"));

  @Test
  public void stableDiffusionBetasEqualTheOriginalsBitForBit() {
    assertArrayEquals(
        SAMPLING.get("betas").toDoubleArray(), DiscreteVpSchedule.stableDiffusionBetas(), 0.0);
  }

  @Test
  public void networkTimesAreTheOriginalsEvaluationByEvaluation() {
    float[] expected = SAMPLING.get("plain.model_t").toFloatArray(); // [NFE, batch]
    int nfe = 10;
    DpmSolver2S solver = new DpmSolver2S(DiscreteVpSchedule.stableDiffusion(), nfe);
    float[] grid = solver.timeGrid();
    for (int k = 0; k < solver.outerSteps(); k++) {
      float start = grid[k] * 1000f;
      float mid = solver.midpointTime(k) * 1000f;
      assertEquals("t at step " + k, expected[(2 * k) * 2], start, Math.ulp(start));
      // The midpoint goes through log/exp/log1p, whose float32 results may differ from torch's SIMD
      // ones by an ulp.
      assertEquals("t at midpoint of step " + k, expected[(2 * k + 1) * 2], mid, 1e-6 * mid);
    }
  }

  @Test
  public void oddNfeIsRejectedNamingTheOption() {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> new DpmSolver2S(DiscreteVpSchedule.stableDiffusion(), 21));
    assertThat(e.getMessage(), containsString("--steps 21"));
    assertThat(e.getMessage(), containsString("even"));
  }

  @Test
  public void inverseLambdaInvertsLambda() {
    DiscreteVpSchedule ns = DiscreteVpSchedule.stableDiffusion();
    for (float t : new float[] {0.01f, 0.3f, 0.5f, 0.77f, 0.99f}) {
      assertEquals(t, ns.inverseLambda(ns.marginalLambda(t)), 1e-5f);
    }
  }
}
