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
import org.l2cbeam.core.router.RouterScores;
import org.l2cbeam.core.router.ThetaSearch;
import org.l2cbeam.core.router.UnitMacs;

public class BenchmarkPlanTest {
  /** DiT-XL/2 at 256 px: 256 tokens, D 1152, MLP 4608, 28 blocks, 4 latent channels, patch 2, learned sigma. */
  private static final UnitMacs XL = UnitMacs.dit(256, 1152, 4608, 28, 4 * 4, 8 * 4);

  private static RouterScores officialDdim20() throws Exception {
    return RouterScores.load(Path.of(BenchmarkPlanTest.class.getResource("/vectors/DDIM20_router.pt").toURI()));
  }

  @Test
  public void baselineCachedSettingsEqualCostDdimThenExtraFrontierSteps() {
    List<BenchmarkSetting> plan = BenchmarkPlan.settings(new int[] {20, 50}, new double[] {0.25, 0.40}, new int[] {10, 15});
    assertEquals(
        List.of("ddim20", "ddim20-l2c25", "ddim20-l2c40", "ddim50", "ddim50-l2c25", "ddim50-l2c40", "ddim15", "ddim12",
            "ddim10"),
        plan.stream().map(BenchmarkSetting::name).toList());
    assertNull(plan.get(0).macsRemoved());
    assertEquals("ddim20", plan.get(0).baseline());
    assertEquals(0.40, plan.get(2).macsRemoved(), 0);
    assertEquals("ddim50", plan.get(4).baseline());
    assertEquals("ddim20", plan.get(8).baseline()); // the frontier is about the main step count
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
        assertThrows(IllegalArgumentException.class, () -> BenchmarkPlan.parseSteps("--steps", "20,x", false))
            .getMessage(),
        containsString("--steps"));
    assertThat(
        assertThrows(IllegalArgumentException.class, () -> BenchmarkPlan.parseSteps("--steps", "20,20", false))
            .getMessage(),
        containsString("repeats"));
    assertThat(
        assertThrows(IllegalArgumentException.class, () -> BenchmarkPlan.parseFractions("--macs-removed", "0.25,1.2"))
            .getMessage(),
        containsString("--macs-removed"));
  }
}
