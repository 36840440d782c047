package org.l2cbeam.pipelines.benchmark;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.greaterThanOrEqualTo;
import static org.hamcrest.Matchers.lessThan;
import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertThrows;

import java.nio.file.Path;
import java.util.List;
import org.junit.Test;
import org.l2cbeam.core.router.ModelFamily;
import org.l2cbeam.core.router.RouterScores;
import org.l2cbeam.core.router.ThetaSearch;
import org.l2cbeam.core.router.UnitMacs;

public class BenchmarkPlanTest {
  /**
   * DiT-XL/2 at 256 px: 256 tokens, D 1152, MLP 4608, 28 blocks, 4 latent channels, patch 2,
   * learned sigma.
   */
  private static final UnitMacs XL = UnitMacs.dit(256, 1152, 4608, 28, 4 * 4, 8 * 4);

  private static RouterScores officialDdim20() throws Exception {
    return RouterScores.load(
        Path.of(BenchmarkPlanTest.class.getResource("/vectors/DDIM20_router.pt").toURI()));
  }

  @Test
  public void baselineCachedSettingsEqualCostDdimThenExtraFrontierSteps() {
    List<BenchmarkSetting> plan =
        BenchmarkPlan.settings(new int[] {20, 50}, new double[] {0.25, 0.40}, new int[] {10, 15});
    assertEquals(
        List.of(
            "ddim20",
            "ddim20-l2c25",
            "ddim20-l2c40",
            "ddim50",
            "ddim50-l2c25",
            "ddim50-l2c40",
            "ddim15",
            "ddim12",
            "ddim38",
            "ddim30",
            "ddim10"),
        plan.stream().map(BenchmarkSetting::name).toList());
    assertNull(plan.get(0).macsRemoved());
    assertEquals("ddim20", plan.get(0).baseline());
    assertEquals(0.40, plan.get(2).macsRemoved(), 0);
    assertEquals("ddim50", plan.get(4).baseline());
    // every cached setting is paired with plain DDIM of the same MACs, of its own step count
    assertEquals("ddim15", plan.get(1).partner());
    assertEquals("ddim38", plan.get(4).partner());
    assertNull(plan.get(0).partner());
    assertEquals("ddim50", plan.get(8).baseline());
    assertEquals(
        "ddim20", plan.get(10).baseline()); // the extra frontier is about the main step count
  }

  @Test
  public void nonLearnedSchedulesComeAtTheSameBudgetsWithTheSamePartners() {
    List<BenchmarkSetting> plan =
        BenchmarkPlan.settings(
            ModelFamily.DIT,
            new int[] {20},
            new double[] {0.1, 0.5},
            new int[0],
            SettingMethod.parseCached("--methods", "same-units, l2c,whole-steps"));
    assertEquals(
        List.of(
            "ddim20",
            "ddim20-units10",
            "ddim20-units50",
            "ddim20-l2c10",
            "ddim20-l2c50",
            "ddim20-steps10",
            "ddim20-steps50",
            "ddim18",
            "ddim10"),
        plan.stream().map(BenchmarkSetting::name).toList());
    assertEquals(SettingMethod.WHOLE_STEPS, plan.get(6).method());
    assertEquals("ddim10", plan.get(6).partner());
    assertEquals("ddim18", plan.get(1).partner());
  }

  @Test
  public void aUViTPlanIsNamedByDpmSolverWithEvenEqualCostEvaluations() {
    List<BenchmarkSetting> plan =
        BenchmarkPlan.settings(
            ModelFamily.UVIT,
            new int[] {20},
            new double[] {0.25, 0.3},
            new int[] {6},
            List.of(SettingMethod.L2C));
    // NFE 20 less 25% is 15 evaluations, an odd count DPM-Solver++(2S) cannot run: the partner is
    // the nearest even, 16
    // (round(7.5) = 8 outer steps); less 30% is 14.
    assertEquals(
        List.of("dpm20", "dpm20-l2c25", "dpm20-l2c30", "dpm16", "dpm14", "dpm6"),
        plan.stream().map(BenchmarkSetting::name).toList());
    assertEquals("dpm16", plan.get(1).partner());
    assertEquals("dpm14", plan.get(2).partner());
    assertEquals("dpm20", plan.get(5).baseline());
    for (BenchmarkSetting s : plan) assertEquals(s.name(), 0, s.steps() % 2);
  }

  @Test
  public void badMethodsNameTheOption() {
    assertThat(
        assertThrows(
                IllegalArgumentException.class,
                () -> SettingMethod.parseCached("--methods", "l2c,random"))
            .getMessage(),
        containsString("--methods: 'random' is not a cached method"));
    assertThat(
        assertThrows(
                IllegalArgumentException.class,
                () -> SettingMethod.parseCached("--methods", "ddim"))
            .getMessage(),
        containsString("'ddim' is not a cached method"));
    assertThat(
        assertThrows(
                IllegalArgumentException.class,
                () -> SettingMethod.parseCached("--methods", "l2c,l2c"))
            .getMessage(),
        containsString("given twice"));
  }

  @Test
  public void requestSetsAreDisjointSeedBlocksWithTheSameLabels() {
    RequestSets sets = new RequestSets(30, 3, 100);
    assertEquals(90, sets.total());
    assertEquals(org.l2cbeam.beam.SampleRequest.of(0, 0, 100), sets.request(0, 0, 10));
    assertEquals(org.l2cbeam.beam.SampleRequest.of(67, 7, 167), sets.request(2, 7, 10));
    assertEquals(2, sets.setOf(67));
    assertEquals(0, sets.setOf(29));
    assertThat(sets.describe(), containsString("3 request sets of 30 per setting"));
    assertThat(new RequestSets(30, 1, 0).describe(), containsString("30 per setting: label i mod"));
    assertThat(
        assertThrows(IllegalArgumentException.class, () -> new RequestSets(30, 0, 0)).getMessage(),
        containsString("--request-sets"));
  }

  @Test
  public void thetaForABudgetMeetsItWithinOneUnitOfOneCacheStep() throws Exception {
    RouterScores scores = officialDdim20();
    for (double target : new double[] {0.25, 0.40}) {
      ThetaSearch.Choice c = scores.forRemovedFraction(XL, target);
      double removed = 1 - XL.run(c.schedule()) / (20 * XL.fullForward());
      assertThat(removed, greaterThanOrEqualTo(target));
      assertThat(removed - target, lessThan(XL.mlpUnit() / (20 * XL.fullForward()) + 1e-12));
      assertEquals(removed, c.removedFraction(), 1e-12);
      // The same schedule as thresholding the router directly at that θ.
      assertEquals(scores.schedule(c.theta()), c.schedule());
    }
  }

  @Test
  public void aBudgetBeyondWhatCachingCanRemoveIsRejected() throws Exception {
    RouterScores scores = officialDdim20();
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> scores.forRemovedFraction(XL, 0.6));
    assertThat(e.getMessage(), containsString("not reachable"));
  }

  @Test
  public void badListsNameTheirOption() {
    assertArrayEquals(new int[] {20, 50}, BenchmarkPlan.parseSteps("--steps", "20, 50", false));
    assertEquals(0, BenchmarkPlan.parseSteps("--plain-steps", "", true).length);
    assertThat(
        assertThrows(
                IllegalArgumentException.class,
                () -> BenchmarkPlan.parseSteps("--steps", "20,x", false))
            .getMessage(),
        containsString("--steps"));
    assertThat(
        assertThrows(
                IllegalArgumentException.class,
                () -> BenchmarkPlan.parseSteps("--steps", "20,20", false))
            .getMessage(),
        containsString("repeats"));
    assertThat(
        assertThrows(
                IllegalArgumentException.class,
                () -> BenchmarkPlan.parseFractions("--macs-removed", "0.25,1.2"))
            .getMessage(),
        containsString("--macs-removed"));
  }
}
