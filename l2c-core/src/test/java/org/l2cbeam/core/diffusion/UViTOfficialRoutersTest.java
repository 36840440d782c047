package org.l2cbeam.core.diffusion;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertThrows;

import org.junit.Test;
import org.l2cbeam.core.TestResources;
import org.l2cbeam.core.model.UnitPlan;
import org.l2cbeam.core.router.CacheSchedule;
import org.l2cbeam.core.router.ModelFamily;
import org.l2cbeam.core.router.RouterScores;

/**
 * The released U-ViT routers ({@code U-ViT/ckpt/dpm{20,50}_router.pth}) at θ = 0.9, as DPM-Solver-2
 * uses them: counted over the plans the sampler actually hands the model, evaluation by evaluation
 * (docs/how-l2c-works.md, section 3).
 */
public class UViTOfficialRoutersTest {
  private static final int UNITS = 58;

  private static CacheSchedule official(String file) {
    return RouterScores.load(TestResources.path("routers/" + file), ModelFamily.UVIT).schedule(0.9);
  }

  /**
   * Units computed by each of the NFE evaluations (cond and uncond share the plan, so count one
   * call each).
   */
  private static int[] computedPerEvaluation(CacheSchedule schedule, int nfe) {
    DpmSolver2S solver = new DpmSolver2S(DiscreteVpSchedule.stableDiffusion(), nfe);
    int[] computed = new int[nfe];
    for (int k = 0; k < solver.outerSteps(); k++) {
      for (boolean mid : new boolean[] {false, true}) {
        DpmSolver2S.Evaluation ev = new DpmSolver2S.Evaluation(k, mid);
        UnitPlan plan = solver.cachePlan(ev, schedule, UNITS);
        computed[ev.index()] = plan.computedUnits();
      }
    }
    return computed;
  }

  @Test
  public void dpm20CacheEvaluationsComputeTheSpecMasks() {
    CacheSchedule s = official("dpm20_router.pth");
    int[] computed = computedPerEvaluation(s, 20);
    int[] activeAtStartOfStep = {58, 0, 2, 6, 6, 8, 16, 49, 52, 50}; // step 0 has no cache
    int total = 0;
    for (int k = 0; k < 10; k++) {
      assertEquals("start of outer step " + k, activeAtStartOfStep[k], computed[2 * k]);
      assertEquals("midpoint of outer step " + k + " is a full step", UNITS, computed[2 * k + 1]);
      total += computed[2 * k] + computed[2 * k + 1];
    }
    assertEquals("1111111111111111111110111001110011110111111111111111111100", s.bits(9));
    // 189 of 522 units in the 9 cache evaluations: 63.8% removed there
    assertEquals(20 * UNITS - (522 - 189), total);
  }

  @Test
  public void dpm50Removes1304Of2900UnitEvaluations() {
    int[] computed = computedPerEvaluation(official("dpm50_router.pth"), 50);
    int total = 0;
    int cacheEvaluations = 0;
    int removed = 0;
    for (int i = 0; i < 50; i++) {
      total += computed[i];
      if (computed[i] < UNITS) {
        cacheEvaluations++;
        removed += UNITS - computed[i];
      }
    }
    assertEquals(24, cacheEvaluations); // the first evaluation of outer steps 1..24
    assertEquals(1304, removed);
    assertEquals(2900 - 1304, total);
    assertEquals(
        "share of the cache evaluations' units",
        0.9368,
        removed / (double) (cacheEvaluations * UNITS),
        5e-5);
  }

  @Test
  public void aScheduleOfAnotherNfeDoesNotFitTheSampler() {
    DpmSolver2S solver = new DpmSolver2S(DiscreteVpSchedule.stableDiffusion(), 50);
    CacheSchedule dpm20 = official("dpm20_router.pth");
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> solver.cachePlan(new DpmSolver2S.Evaluation(1, false), dpm20, UNITS));
    assertThat(
        e.getMessage(),
        containsString("cache schedule has 10 steps x 58 units, but the sampler has 25 steps"));
  }
}
