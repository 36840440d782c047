package org.l2cbeam.core.router;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import java.nio.file.Path;
import java.util.List;
import org.junit.Test;
import org.l2cbeam.core.TestResources;
import org.l2cbeam.core.io.CheckpointFormatException;
import org.l2cbeam.core.io.WeightMap;

/** The released L2C routers reproduce the masks the original code prints for them, bit for bit. */
public class RouterScoresTest {
  private static final String ALL_ONES = "1".repeat(56);
  private static final String ALL_ZEROS = "0".repeat(56);

  private static RouterScores official(String name) {
    return RouterScores.load(TestResources.path("routers/" + name));
  }

  /**
   * A vector router's torch checkpoint, after checking that it loads as its safetensors twin does.
   */
  private static RouterScores checkpointMatchingItsTwin(
      String checkpoint, String twin, ModelFamily family) {
    RouterScores fromPt = RouterScores.load(TestResources.vector(checkpoint));
    RouterScores fromSt = RouterScores.load(TestResources.vector(twin));
    assertEquals(family, fromPt.family());
    assertEquals(family, fromSt.family());
    assertArrayEquals(fromSt.logits(), fromPt.logits());
    return fromPt;
  }

  @Test
  public void ddim20AtTheta01ReproducesThePublishedMasks() {
    RouterScores r = official("DDIM20_router.pt");
    assertEquals(ModelFamily.DIT, r.family());
    assertEquals(20, r.nfe());
    assertEquals(56, r.units());
    CacheSchedule s = r.schedule(0.1);
    assertEquals(20, s.steps());
    String[] expected = new String[20];
    expected[0] = ALL_ONES;
    expected[2] =
        expected[4] = expected[6] = "11011111111111111111111111111111111111111111111111111111";
    expected[8] = "00011111111111111111111111111111111111111111111111111111";
    expected[10] = "00011101000010101010000000101000101010100011001111111111";
    expected[12] = "00010101000000000000000000000000000000000000000010011110";
    expected[14] = "00001001000000000000000000000000000000000000000000000011";
    expected[16] = expected[18] = ALL_ZEROS;
    for (int k = 1; k < 20; k += 2) expected[k] = ALL_ONES;
    for (int k = 0; k < 20; k++) assertEquals("k=" + k, expected[k], s.bits(k));
    int[] active = {56, 55, 55, 55, 53, 26, 8, 4, 0, 0};
    for (int i = 0; i < active.length; i++) assertEquals(active[i], s.active(2 * i));

    ScheduleSummary sum = r.summarize(s);
    assertEquals(312, sum.activeInCacheRows);
    assertEquals(248, sum.removed);
    assertEquals(0.443, sum.removedInCacheSteps(), 0.0005);
    assertEquals(0.221, sum.removedOverall(), 0.0005);
    int attn = 0;
    int mlp = 0;
    for (int k = 0; k < 20; k += 2) {
      for (int u = 0; u < 56; u++) {
        if (s.computes(k, u)) {
          if (u % 2 == 0) attn++;
          else mlp++;
        }
      }
    }
    assertEquals(157, attn);
    assertEquals(155, mlp);
  }

  @Test
  public void ddim20ThetaSensitivityMatchesTheSpec() {
    RouterScores r = official("DDIM20_router.pt");
    double[][] table = {{0.05, 0.438}, {0.1, 0.443}, {0.5, 0.479}, {0.9, 0.552}};
    for (double[] row : table) {
      double removed = r.summarize(r.schedule(row[0])).removedInCacheSteps();
      assertEquals(
          "theta " + row[0] + " (percent to one decimal)",
          row[1],
          Math.round(removed * 1000) / 1000.0,
          0);
    }
  }

  @Test
  public void ddim50AtTheta01() {
    RouterScores r = official("DDIM50_router.pt");
    assertEquals(50, r.nfe());
    ScheduleSummary sum = r.summarize(r.schedule(0.1));
    assertEquals(25, sum.cacheRows);
    assertEquals(736, sum.activeInCacheRows);
    assertEquals(0.474, sum.removedInCacheSteps(), 0.0005);
    assertEquals(0.237, sum.removedOverall(), 0.0005);
    assertEquals(0.519, r.summarize(r.schedule(0.5)).removedInCacheSteps(), 0.0005);
    assertEquals(0.566, r.summarize(r.schedule(0.9)).removedInCacheSteps(), 0.0005);
  }

  @Test
  public void dpm20AtTheta09ReproducesThePublishedMasks() {
    RouterScores r = official("dpm20_router.pth");
    assertEquals(ModelFamily.UVIT, r.family());
    assertEquals(20, r.nfe());
    assertEquals(58, r.units());
    CacheSchedule s = r.schedule(0.9);
    assertEquals("K = NFE/2 outer steps", 10, s.steps());
    assertEquals("outer step 0 is full", 58, s.active(0));
    int[] active = {0, 2, 6, 6, 8, 16, 49, 52, 50};
    for (int k = 1; k <= 9; k++) assertEquals("k=" + k, active[k - 1], s.active(k));
    assertEquals("1111111111111111111110111001110011110111111111111111111100", s.bits(9));
    ScheduleSummary sum = r.summarize(s);
    assertEquals(189, sum.activeInCacheRows);
    assertEquals(522, sum.cacheRows * sum.units);
    assertEquals(0.638, sum.removedInCacheSteps(), 0.0005);
    assertEquals(333.0 / 1160, sum.removedOverall(), 1e-12);
  }

  @Test
  public void dpm50AtTheta09Removes9368PercentOfCacheEvaluations() {
    RouterScores r = official("dpm50_router.pth");
    assertEquals(50, r.nfe());
    ScheduleSummary sum = r.summarize(r.schedule(0.9));
    assertEquals(24, sum.cacheRows);
    assertEquals(0.9368, sum.removedInCacheSteps(), 0.00005);
    assertEquals(1304, sum.removed);
    assertEquals(2900, sum.evaluations * sum.units);
  }

  @Test
  public void ditVectorRouterCheckpointMatchesTheReferenceMask() {
    RouterScores fromPt =
        checkpointMatchingItsTwin("dit_router_ckpt.pt", "dit_router.safetensors", ModelFamily.DIT);
    WeightMap ref = WeightMap.open(TestResources.vector("dit_router.safetensors"));
    double theta = ref.get("router.thres").toFloatArray()[0];
    long[] mask = ref.get("router.compute_mask").toLongArray();
    CacheSchedule s = fromPt.schedule(theta);
    assertEquals(10, s.steps());
    for (int k = 0; k < 10; k++) {
      for (int u = 0; u < 8; u++)
        assertEquals("k=" + k + " u=" + u, mask[k * 8 + u] == 1, s.computes(k, u));
    }
    assertTrue("the vector exercises reuse", s.active(8) < 8);
  }

  @Test
  public void uvitVectorRouterCheckpointMatchesTheReferenceMask() {
    RouterScores fromPt =
        checkpointMatchingItsTwin(
            "uvit_router_ckpt.pth", "uvit_router.safetensors", ModelFamily.UVIT);
    WeightMap ref = WeightMap.open(TestResources.vector("uvit_router.safetensors"));
    double theta = ref.get("router.thres").toFloatArray()[0];
    long[] mask = ref.get("router.compute_mask").toLongArray();
    CacheSchedule s = fromPt.schedule(theta);
    assertEquals(5, s.steps());
    boolean reuses = false;
    for (int k = 0; k < 10; k++) {
      for (int u = 0; u < 10; u++) {
        boolean expected = mask[k * 10 + u] == 1;
        if (k < 5) assertEquals("k=" + k + " u=" + u, expected, s.computes(k, u));
        else assertTrue("rows >= K are unused (all computed)", expected);
        reuses |= !expected;
      }
    }
    assertTrue("the vector exercises reuse", reuses);
  }

  @Test
  public void unitNamesFollowTheSpecOrder() {
    List<String> dit = ModelFamily.DIT.unitNames(56);
    assertEquals("block0.attn", dit.get(0));
    assertEquals("block27.mlp", dit.get(55));
    List<String> uvit = ModelFamily.UVIT.unitNames(58);
    assertEquals("in0.attn", uvit.get(0));
    assertEquals("in13.mlp", uvit.get(27));
    assertEquals("mid.attn", uvit.get(28));
    assertEquals("mid.mlp", uvit.get(29));
    assertEquals("out0.attn", uvit.get(30));
    assertEquals("out13.mlp", uvit.get(57));
  }

  @Test
  public void aRouterThatDoesNotFitTheRequestedFamilyIsRejected() {
    Path ddim = TestResources.path("routers/DDIM20_router.pt");
    try {
      RouterScores.load(ddim, ModelFamily.UVIT);
      fail();
    } catch (CheckpointFormatException e) {
      assertThat(e.getMessage(), containsString(ddim.toString()));
      assertThat(e.getMessage(), containsString("56 units cannot be a U-ViT"));
    }
    Path dpm = TestResources.path("routers/dpm20_router.pth");
    try {
      RouterScores.load(dpm, ModelFamily.DIT);
      fail();
    } catch (CheckpointFormatException e) {
      assertThat(e.getMessage(), containsString(dpm.toString()));
      assertThat(
          e.getMessage(),
          containsString("holds a uvit router (20 x 58 units), which does not fit a dit model"));
    }
  }

  @Test
  public void aCheckpointWithoutRoutersIsRejected() {
    Path model = TestResources.vector("dit_model.safetensors");
    try {
      RouterScores.load(model);
      fail();
    } catch (CheckpointFormatException e) {
      assertThat(e.getMessage(), containsString(model.toString()));
      assertThat(e.getMessage(), containsString("no router scores found"));
    }
  }

  @Test
  public void aNonFiniteLogitIsRefusedNamingRowAndUnit() {
    float[][] logits = new float[20][56];
    logits[4][3] = Float.NaN;
    IllegalArgumentException e =
        org.junit.Assert.assertThrows(
            IllegalArgumentException.class, () -> new RouterScores(ModelFamily.DIT, logits));
    assertEquals("row 4, unit 3 (block1.mlp): logit NaN is not finite", e.getMessage());
    logits[4][3] = 0;
    logits[19][55] = Float.NEGATIVE_INFINITY;
    e =
        org.junit.Assert.assertThrows(
            IllegalArgumentException.class, () -> new RouterScores(ModelFamily.DIT, logits));
    assertEquals("row 19, unit 55 (block27.mlp): logit -Infinity is not finite", e.getMessage());
  }
}
