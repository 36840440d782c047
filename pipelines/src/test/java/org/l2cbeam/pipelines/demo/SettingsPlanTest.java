package org.l2cbeam.pipelines.demo;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.greaterThanOrEqualTo;
import static org.hamcrest.Matchers.lessThan;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertThrows;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.Test;
import org.l2cbeam.core.router.RouterScores;
import org.l2cbeam.core.router.UnitMacs;

public class SettingsPlanTest {
  /** DiT-XL/2 at 256 px: 256 tokens, D 1152, MLP 4608, 28 blocks, 4 latent channels, patch 2, learned sigma. */
  private static final UnitMacs XL = UnitMacs.dit(256, 1152, 4608, 28, 4 * 4, 8 * 4);

  private static double[][] officialDdim20() throws Exception {
    Path file = Path.of(SettingsPlanTest.class.getResource("/vectors/DDIM20_router.pt").toURI());
    float[][] p = RouterScores.load(file).logits();
    double[][] beta = new double[p.length][];
    for (int k = 0; k < p.length; k++) {
      beta[k] = new double[p[k].length];
      for (int u = 0; u < p[k].length; u++) beta[k][u] = 1 / (1 + Math.exp(-p[k][u]));
    }
    return beta;
  }

  @Test
  public void officialRouterGivesBaselineTwoCachedSettingsAndEqualCostDdim() throws Exception {
    Map<Integer, double[][]> routers = new LinkedHashMap<>();
    routers.put(20, officialDdim20());
    SettingsPlan.Plan plan = SettingsPlan.plan(routers, XL, new double[] {0.25, 0.40}, 20);
    List<String> names = plan.settings().stream().map(SamplingSetting::name).toList();
    assertEquals(List.of("ddim20", "ddim20-l2c25", "ddim20-l2c40", "ddim15", "ddim12"), names);
    SamplingSetting plain = plan.settings().get(0);
    assertNull(plain.schedule());
    assertEquals("ddim20", plain.baseline());
    for (SamplingSetting s : plan.settings().subList(1, 3)) {
      assertEquals(20, s.schedule().steps());
      assertEquals("ddim20", s.baseline());
      // The budget is met, and by the smallest step of θ: within one MLP unit of one cache step.
      double removed = 1 - XL.run(s.schedule()) / (20 * XL.fullForward());
      assertThat(removed, greaterThanOrEqualTo(s.removedTarget()));
      assertThat(removed - s.removedTarget(), lessThan(XL.mlpUnit() / (20 * XL.fullForward()) + 1e-12));
    }
    assertThat(plan.settings().get(1).label(), containsString("DDIM-20 + L2C θ="));
    assertEquals(2, plan.notes().size());
    assertThat(plan.notes().get(0), containsString("25% of the run's MACs removed"));
  }

  @Test
  public void aBudgetBeyondWhatCachingCanRemoveIsRejectedByName() throws Exception {
    Map<Integer, double[][]> routers = Map.of(20, officialDdim20());
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> SettingsPlan.plan(routers, XL, new double[] {0.6}, 20));
    assertThat(e.getMessage(), containsString("not reachable"));
  }

  @Test
  public void requestsAreBalancedAndSeededPerIndex() {
    SampleRequests r = SampleRequests.balanced(30, 10, 7);
    assertEquals(30, r.size());
    for (int i = 0; i < 30; i++) {
      assertEquals(i % 10, r.labels()[i]);
      assertEquals(7 + i, r.seeds()[i]);
    }
    assertEquals(List.of(2L, 3L), java.util.Arrays.stream(r.labels(12, 14)).boxed().toList());
  }
}
