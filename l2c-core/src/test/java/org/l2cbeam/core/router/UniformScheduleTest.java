package org.l2cbeam.core.router;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.greaterThanOrEqualTo;
import static org.hamcrest.Matchers.lessThan;
import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import org.junit.Test;

public class UniformScheduleTest {
  /**
   * The bundled Fashion-MNIST DiT: 64 tokens of width 128, MLP 512, 8 blocks, 1 channel in, 2 out,
   * patch 4.
   */
  private static final UnitMacs FMNIST = UnitMacs.dit(64, 128, 512, 8, 16, 32);

  private static final double[] BUDGETS = {0.03, 0.1, 0.2, 0.25, 0.3, 0.4, 0.45};

  private static ThetaSearch.Choice cut(UniformSchedule.Kind kind, int steps, double fraction) {
    return UniformSchedule.scores(kind, ModelFamily.DIT, steps, FMNIST)
        .forRemovedFraction(FMNIST, fraction);
  }

  /** Units reused at cache row r. */
  private static int reused(CacheSchedule s, int r) {
    return s.units() - s.active(r);
  }

  @Test
  public void spreadIsTheVanDerCorputOrder() {
    assertArrayEquals(new int[] {0}, UniformSchedule.spread(1));
    assertArrayEquals(new int[] {0, 4, 2, 6, 1, 5, 3, 7}, UniformSchedule.spread(8));
    assertArrayEquals(new int[] {0, 8, 4, 2, 6, 1, 9, 5, 3, 7}, UniformSchedule.spread(10));
  }

  @Test
  public void attentionUnitsComeBeforeTheDearerMlpUnits() {
    int[] order = UniformSchedule.cheapestFirst(FMNIST);
    assertTrue(FMNIST.attentionUnit() < FMNIST.mlpUnit());
    for (int i = 0; i < 8; i++)
      assertEquals("position " + i + " is an attention unit", 0, order[i] % 2);
    for (int i = 8; i < 16; i++) assertEquals("position " + i + " is an MLP unit", 1, order[i] % 2);
    // equal costs spread over depth: blocks 0, 4, 2, 6, ...
    assertArrayEquals(new int[] {0, 8, 4, 12}, java.util.Arrays.copyOf(order, 4));
  }

  @Test
  public void sameUnitsReusesOneSetOfUnitsAtEveryCacheStepAndMeetsEachBudget() {
    for (int steps : new int[] {20, 50}) {
      for (double budget : BUDGETS) {
        ThetaSearch.Choice c = cut(UniformSchedule.Kind.SAME_UNITS, steps, budget);
        assertThat(c.removedFraction(), greaterThanOrEqualTo(budget));
        // met to one unit at one step: the dearest unit-step of the run
        assertThat(
            c.removedFraction() - budget,
            lessThan(FMNIST.mlpUnit() / FMNIST.fullRun(steps) + 1e-12));
        CacheSchedule s = c.schedule();
        int partlyReused = 0;
        for (int u = 0; u < 16; u++) {
          int at = 0;
          for (int r = 0; r < steps; r++) {
            if (!s.computes(r, u)) {
              assertEquals("unit " + u + " reused only at cache rows (even)", 0, r % 2);
              at++;
            }
          }
          if (at != 0 && at != steps / 2) partlyReused++;
        }
        assertTrue(
            steps + " steps, " + budget + ": units are reused at every cache step or none, but one",
            partlyReused <= 1);
      }
    }
  }

  @Test
  public void wholeStepsReusesWholeCacheStepsSpreadOverTheRun() {
    for (double budget : BUDGETS) {
      ThetaSearch.Choice c = cut(UniformSchedule.Kind.WHOLE_STEPS, 20, budget);
      assertThat(c.removedFraction(), greaterThanOrEqualTo(budget));
      assertThat(
          c.removedFraction() - budget, lessThan(FMNIST.mlpUnit() / FMNIST.fullRun(20) + 1e-12));
      int partial = 0;
      for (int r = 0; r < 20; r += 2) {
        int reused = reused(c.schedule(), r);
        if (reused != 0 && reused != 16) partial++;
      }
      assertTrue(budget + ": at most one cache step is partly reused", partial <= 1);
    }
    // About 20% of the MACs: the first steps of the spread order (cache rows 0, 16, 8, 4) are
    // reused whole.
    CacheSchedule s = cut(UniformSchedule.Kind.WHOLE_STEPS, 20, 0.19).schedule();
    for (int r : new int[] {0, 16, 8}) assertEquals("cache row " + r, 16, reused(s, r));
    assertEquals(0, reused(s, 2));
  }

  @Test
  public void theArtifactFitsItsModelAndSaysItIsNotLearned() {
    RouterArtifact a =
        UniformSchedule.artifact(
            UniformSchedule.Kind.SAME_UNITS, ModelFamily.DIT, 20, FMNIST, "fp");
    assertEquals("fp", a.modelFingerprint());
    assertEquals(20, a.steps());
    assertEquals(false, a.provenance().training.get("learned"));
    assertThat(a.provenance().source, containsString("same-units"));
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> UniformSchedule.Kind.parse("random"));
    assertThat(e.getMessage(), containsString("same-units or whole-steps"));
  }
}
