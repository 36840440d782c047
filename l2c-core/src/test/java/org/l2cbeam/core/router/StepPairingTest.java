package org.l2cbeam.core.router;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.Test;
import org.l2cbeam.core.model.UnitPlan;
import org.l2cbeam.core.router.train.AdamW;
import org.l2cbeam.core.router.train.AdamWConfig;
import org.l2cbeam.core.router.train.TrainingSettings;

/**
 * The step-pairing rule, the one place samplers, training, MAC accounting and the CLI learn which
 * evaluation records, which reuses and which just computes. Written out by hand for both families,
 * checked against the authors' loop conditions, and against everything else that reads the pairing
 * (schedules, trained rows).
 */
public class StepPairingTest {
  private static final int UNITS = 4;

  /** A schedule that reuses unit 0 on every row (the pairing decides which rows actually may). */
  private static CacheSchedule reusingUnitZero(int rows) {
    boolean[][] compute = new boolean[rows][UNITS];
    for (boolean[] r : compute) {
      Arrays.fill(r, true);
      r[0] = false;
    }
    return new CacheSchedule(compute);
  }

  /** "R" records, "C" is a cache evaluation (reuses), "." computes all and records nothing. */
  private static String kind(UnitPlan p) {
    if (p.records()) return "R";
    return p.computedUnits() < p.units() ? "C" : ".";
  }

  /** DiT's plans in sampling order (k = N−1 down to 0). */
  private static String ditPlans(int steps, CacheSchedule schedule) {
    StringBuilder sb = new StringBuilder();
    for (int k = steps - 1; k >= 0; k--)
      sb.append(kind(StepPairing.dit().plan(k, 0, schedule, UNITS)));
    return sb.toString();
  }

  /** U-ViT's plans in sampling order (outer step k = 0..K−1; start, then midpoint). */
  private static String uvitPlans(int nfe, CacheSchedule schedule) {
    StringBuilder sb = new StringBuilder();
    for (int k = 0; k < nfe / 2; k++) {
      for (int e = 0; e < 2; e++) sb.append(kind(StepPairing.uvit().plan(k, e, schedule, UNITS)));
    }
    return sb.toString();
  }

  @Test
  public void ditWithAnEvenStepCountAlternatesRecordAndReuse() {
    // k = 5 R, 4 C, 3 R, 2 C, 1 R, 0 C
    assertEquals("RCRCRC", ditPlans(6, reusingUnitZero(6)));
  }

  @Test
  public void ditWithAnOddStepCountComputesItsFirstStepWithoutACache() {
    // k = 4 is even but nothing ran before it: a full step that need not record, since k = 3 is
    // full too.
    assertEquals(".RCRC", ditPlans(5, reusingUnitZero(5)));
  }

  @Test
  public void uvitRecordsAtEveryMidpointThatPrecedesACacheEvaluation() {
    // step 0: start full (no cache yet), midpoint records; steps 1..3: start reuses, midpoint
    // records; the last
    // midpoint feeds nothing.
    assertEquals(".RCRCRC.", uvitPlans(8, reusingUnitZero(4)));
  }

  @Test
  public void noScheduleOrOneThatReusesNothingNeverTouchesTheCache() {
    assertEquals("......", ditPlans(6, null));
    assertEquals("......", ditPlans(6, CacheSchedule.allCompute(6, UNITS)));
    assertEquals("........", uvitPlans(8, null));
    assertEquals("........", uvitPlans(8, CacheSchedule.allCompute(4, UNITS)));
  }

  @Test
  public void cacheEvaluationsComputeExactlyTheScheduleRow() {
    CacheSchedule s = reusingUnitZero(6);
    UnitPlan p = StepPairing.dit().plan(2, 0, s, UNITS);
    assertEquals(UnitPlan.Mode.REUSE, p.mode(0));
    assertEquals(UnitPlan.Mode.COMPUTE, p.mode(1));
    assertEquals(UNITS - 1, p.computedUnits());
  }

  /**
   * The authors' DDIM loop: step i reuses iff {@code i % 2 == 0} and the step before it stored a
   * cache, and a step stores a cache iff the next one will use it. For every step count up to 24
   * the rule gives the same plans.
   */
  @Test
  public void ditMatchesTheOriginalLoopConditionForEveryStepCount() {
    for (int n = 1; n <= 24; n++) {
      StringBuilder expected = new StringBuilder();
      boolean cached = false;
      for (int k = n - 1; k >= 0; k--) {
        boolean reuse = k % 2 == 0 && cached;
        boolean nextReuses = k - 1 >= 0 && (k - 1) % 2 == 0;
        expected.append(reuse ? "C" : nextReuses ? "R" : ".");
        cached = !reuse && nextReuses;
      }
      assertEquals("DiT, " + n + " steps", expected.toString(), ditPlans(n, reusingUnitZero(n)));
    }
  }

  /**
   * Every reader of the pairing agrees on the cache rows: schedules, trained router rows, MAC
   * accounting.
   */
  @Test
  public void schedulesTrainingAndMacsUseTheSameCacheRows() {
    for (ModelFamily family : ModelFamily.values()) {
      for (int nfe = 4; nfe <= 20; nfe += 2) {
        StepPairing pairing = family.pairing();
        int rows = pairing.scheduleRows(nfe);
        int units = family == ModelFamily.DIT ? 8 : 10;
        float[][] veryLow = new float[nfe][units];
        for (float[] r : veryLow)
          Arrays.fill(r, -20f); // β ≈ 2e-9: every unit of every cache row reused
        CacheSchedule schedule = new RouterScores(family, veryLow).schedule(0.5);
        List<Integer> reusedRows = new ArrayList<>();
        for (int r = 0; r < rows; r++) if (schedule.active(r) < units) reusedRows.add(r);
        List<Integer> cacheRows = new ArrayList<>();
        for (int r = 0; r < rows; r++) if (pairing.isCacheRow(r, rows)) cacheRows.add(r);
        assertEquals(family + " NFE " + nfe, cacheRows, reusedRows);

        TrainingSettings settings =
            new TrainingSettings(
                family,
                nfe,
                0.1,
                AdamWConfig.l2c(1e-3),
                1,
                0,
                TrainingSettings.RANDOM_CACHE_STEP,
                AdamW.ZeroGrad.SET_TO_NONE);
        assertArrayEquals(
            family + " NFE " + nfe + " trained rows",
            cacheRows.stream().mapToInt(pairing::routerRow).toArray(),
            settings.cacheStepRows());

        int cacheEvaluations = 0;
        for (int r = 0; r < rows; r++) {
          for (int e = 0; e < pairing.evaluationsPerRow(); e++) {
            if (pairing.plan(r, e, schedule, units).computedUnits() < units) cacheEvaluations++;
          }
        }
        assertEquals(
            family + " NFE " + nfe + ": one cache evaluation per cache row",
            cacheRows.size(),
            cacheEvaluations);
        assertEquals(nfe, pairing.nfe(rows));
      }
    }
  }

  @Test
  public void uvitNeedsAnEvenNfeAndEveryRowNeedsItsEvaluation() {
    assertThrows(IllegalArgumentException.class, () -> StepPairing.uvit().scheduleRows(9));
    assertThrows(IllegalArgumentException.class, () -> StepPairing.uvit().plan(0, 2, null, UNITS));
    assertThrows(
        IllegalArgumentException.class,
        () -> StepPairing.dit().plan(6, 0, reusingUnitZero(6), UNITS));
    assertTrue(StepPairing.uvit().describe().contains("U-ViT"));
    assertFalse(IntStream.range(0, 5).anyMatch(r -> StepPairing.uvit().isCacheRow(r, 5) && r == 0));
  }
}
