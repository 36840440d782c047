package org.l2cbeam.core.router;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import java.util.Arrays;
import org.junit.Test;

public class ThetaSearchTest {
  /**
   * DiT-XL/2 at 256 px: T=256, D=1152, MLP 4608, 28 blocks, 4 input / 8 output channels, patch 2.
   */
  private static final UnitMacs XL = UnitMacs.dit(256, 1152, 4608, 28, 4 * 4, 8 * 4);

  @Test
  public void unitMacsMatchTheSpecFiguresForDiTXL2() {
    assertEquals(1.510e9, XL.attentionUnit(), 0.001e9);
    assertEquals(2.718e9, XL.mlpUnit(), 0.001e9);
    assertEquals(118.6e9, XL.fullForward(), 0.05e9);
    assertEquals(XL.attentionUnit(), XL.unit(54), 0);
    assertEquals(XL.mlpUnit(), XL.unit(55), 0);
  }

  @Test
  public void unitMacsAgreeWithTheModelConfigsOwnCount() {
    org.l2cbeam.core.model.DiTConfig c = org.l2cbeam.core.model.DiTConfig.official("DiT-XL/2", 32);
    double[] m = c.macsPerImage();
    UnitMacs u = UnitMacs.of(c);
    assertEquals(m[0], u.attentionUnit(), 1);
    assertEquals(m[1], u.mlpUnit(), 1);
    assertEquals(m[2], u.uncacheable(), 1);
  }

  /**
   * Two steps: step 1 full, step 0 a cache step whose attention units score 0.05 and MLP units 0.5.
   */
  private static double[][] scores() {
    double[][] s = new double[2][56];
    for (int u = 0; u < 56; u++) s[0][u] = u % 2 == 0 ? 0.05 : 0.5;
    Arrays.fill(s[1], 0.01); // a full step: its (untrained) scores must be ignored
    return s;
  }

  private static final boolean[] CACHE_STEP = {true, false};

  @Test
  public void removesTheCheapestScoresFirstCostingAttentionAndMlpApart() {
    double attnShare = 28 * XL.attentionUnit() / (2 * XL.fullForward());
    ThetaSearch.Choice c = ThetaSearch.forRemovedFraction(scores(), CACHE_STEP, XL, 0.1);
    assertEquals(0.275, c.theta(), 1e-12);
    assertEquals(attnShare, c.removedFraction(), 1e-12);
    assertFalse(c.schedule().computes(0, 0));
    assertTrue(c.schedule().computes(0, 1));
    assertEquals(56, c.schedule().active(1));
    assertEquals(28, c.schedule().active(0));
  }

  @Test
  public void largerBudgetReusesTheWholeCacheStep() {
    ThetaSearch.Choice c = ThetaSearch.forRemovedFraction(scores(), CACHE_STEP, XL, 0.3);
    assertEquals(0.75, c.theta(), 1e-12);
    assertEquals(0, c.schedule().active(0));
    assertEquals(56, c.schedule().active(1));
    double expected = 28 * (XL.attentionUnit() + XL.mlpUnit()) / (2 * XL.fullForward());
    assertEquals(expected, c.removedFraction(), 1e-12);
  }

  @Test
  public void speedupIsTranslatedToAMacFraction() {
    ThetaSearch.Choice c = ThetaSearch.forSpeedup(scores(), CACHE_STEP, XL, 1.25);
    assertTrue(c.macSpeedup() >= 1.25); // attention alone gives 1.217x: not enough
    assertEquals(0.75, c.theta(), 1e-12);
  }

  @Test
  public void zeroBudgetKeepsEverything() {
    ThetaSearch.Choice c = ThetaSearch.forRemovedFraction(scores(), CACHE_STEP, XL, 0.0);
    assertTrue(c.schedule().isAllCompute());
  }

  @Test
  public void unreachableBudgetNamesTheOption() {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> ThetaSearch.forRemovedFraction(scores(), CACHE_STEP, XL, 0.6));
    assertThat(e.getMessage(), containsString("--remove-macs"));
    assertThat(e.getMessage(), containsString("not reachable"));
  }

  @Test
  public void thresholdIsStrict() {
    ThetaSearch.Choice c = ThetaSearch.forTheta(scores(), CACHE_STEP, XL, 0.5);
    assertEquals(0, c.schedule().active(0)); // 0.5 > 0.5 is false: reused
  }

  /**
   * U-ViT-H/2 costed per unit, and a DPM-Solver-2 run costed per evaluation: every midpoint
   * evaluation is full, and only the first evaluation of a cache row follows the schedule. The
   * official NFE-20 router at θ = 0.9 is checked against that sum written out by hand.
   */
  @Test
  public void uvitMacsCountBothEvaluationsOfEveryOuterStep() {
    org.l2cbeam.core.model.UViTConfig c = org.l2cbeam.core.model.UViTConfig.huge256();
    UnitMacs u = UnitMacs.of(c);
    double t = 258;
    double d = 1152;
    assertEquals(t * (4 * d * d + 2 * t * d), u.attentionUnit(), 1);
    assertEquals(2 * t * d * 4608, u.mlpUnit(), 1);
    assertEquals(58, u.units());
    assertEquals(2, u.evaluationsPerRow());
    RouterScores official =
        RouterScores.load(
            org.l2cbeam.core.TestResources.path("routers/dpm20_router.pth"), ModelFamily.UVIT);
    ThetaSearch.Choice choice =
        ThetaSearch.forTheta(official.betaPerRow(), official.cacheRows(), u, 0.9);
    CacheSchedule s = choice.schedule();
    double full = u.fullForward();
    double plain = 0;
    double cached = 0;
    for (int k = 0; k < 10; k++) {
      plain += 2 * full;
      double first = u.uncacheable();
      for (int unit = 0; unit < 58; unit++) if (s.computes(k, unit)) first += u.unit(unit);
      cached += full + first;
    }
    assertEquals(plain, choice.fullRunMacs(), plain * 1e-12);
    assertEquals(1 - cached / plain, choice.removedFraction(), 1e-12);
    assertEquals(
        "333 of the 522 cache-evaluation units reused",
        522 - 189,
        java.util.stream.IntStream.range(1, 10).map(k -> 58 - s.active(k)).sum());
    ThetaSearch.Choice budget = official.forRemovedFraction(u, choice.removedFraction() / 2);
    assertTrue(budget.removedFraction() >= choice.removedFraction() / 2);
  }
}
