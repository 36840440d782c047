package org.l2cbeam.core.router.train;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNotEquals;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import org.junit.Test;
import org.l2cbeam.core.Parity;

/**
 * AdamW alone against the reference run: feeding the recorded router gradients must reproduce the
 * recorded router logits after every step, in both zero_grad variants. (Each router is used once in
 * the 4 steps, so its gradient is the same in both variants; only what AdamW does to unused routers
 * differs.)
 */
public class AdamWTest {
  private static final double PARAM_TOL = 1e-6;

  private final RouterTrainVectors v = new RouterTrainVectors();

  private float[][] replay(String variant, AdamW.ZeroGrad zeroGrad, int steps) {
    float[][] p = v.initialRouters();
    AdamW adam = new AdamW(AdamWConfig.l2c(1e-3), zeroGrad, p.length, p[0].length);
    for (int s = 0; s < steps; s++) {
      float[][] grads = new float[p.length][];
      grads[v.routerIndex(s)] = v.routerGrad(s);
      adam.step(p, grads);
      LogitClamp.apply(p);
      float[][] want = v.routersAfter(variant, s);
      for (int k = 0; k < p.length; k++) {
        for (int u = 0; u < p[k].length; u++) {
          assertEquals(
              variant + " step " + s + " router " + k + " unit " + u,
              want[k][u],
              p[k][u],
              PARAM_TOL);
        }
      }
    }
    return p;
  }

  @Test
  public void setToNoneMatchesTorch2() {
    replay("torch2", AdamW.ZeroGrad.SET_TO_NONE, RouterTrainVectors.STEPS);
  }

  @Test
  public void zeroFillMatchesTorch113() {
    replay("torch113", AdamW.ZeroGrad.ZERO_FILL, RouterTrainVectors.STEPS);
  }

  /**
   * Both variants run through AdamW for two steps (each step checked against its recorded logits by
   * {@link #replay}): the router used at step 0 sits out step 1, and only ZERO_FILL moves it again
   * by momentum; a router used at neither step stays at its initial logits in both.
   */
  @Test
  public void theTwoVariantsDifferOnceAUsedRouterSitsOut() {
    int used0 = v.routerIndex(0);
    int untouched = 2;
    assertNotEquals("router " + used0 + " sits out step 1", used0, v.routerIndex(1));
    assertNotEquals(untouched, used0);
    assertNotEquals(untouched, v.routerIndex(1));
    float[][] torch2 = replay("torch2", AdamW.ZeroGrad.SET_TO_NONE, 2);
    float[][] torch113 = replay("torch113", AdamW.ZeroGrad.ZERO_FILL, 2);
    double moved = Parity.maxAbsDifference("router " + used0, torch113[used0], torch2[used0]);
    assertTrue("ZERO_FILL moves the idle router by momentum: max diff " + moved, moved > 1e-5);
    float[] initial = v.initialRouters()[untouched];
    assertEquals(
        0.0,
        Parity.maxAbsDifference("SET_TO_NONE router " + untouched, torch2[untouched], initial),
        0);
    assertEquals(
        0.0,
        Parity.maxAbsDifference("ZERO_FILL router " + untouched, torch113[untouched], initial),
        0);
  }

  @Test
  public void firstStepMovesEachLogitByLrAgainstTheGradientSign() {
    // Adam's first bias-corrected step is lr * g / (|g| + eps') : about 1e-3 per logit.
    float[][] p = {{0f, 0f}};
    AdamW adam = new AdamW(AdamWConfig.l2c(1e-3), AdamW.ZeroGrad.SET_TO_NONE, 1, 2);
    adam.step(p, new float[][] {{0.5f, -2f}});
    assertEquals(-1e-3, p[0][0], 1e-8);
    assertEquals(1e-3, p[0][1], 1e-8);
    assertEquals(1, adam.steps(0));
  }

  @Test
  public void unusedRouterIsNotMovedWithSetToNone() {
    float[][] p = {{1f}, {2f}};
    AdamW adam = new AdamW(AdamWConfig.l2c(1e-3), AdamW.ZeroGrad.SET_TO_NONE, 2, 1);
    adam.step(p, new float[][] {{1f}, null});
    adam.step(p, new float[][] {null, {1f}});
    assertEquals(1f - 1e-3f, p[0][0], 1e-7);
    assertEquals(1, adam.steps(0));
    assertEquals(1, adam.steps(1));
  }

  @Test
  public void rejectsBadHyperparameters() {
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> AdamWConfig.l2c(-1));
    assertThat(e.getMessage(), containsString("learning rate"));
  }
}
