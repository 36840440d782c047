package org.l2cbeam.core.router.train;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertThrows;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import org.junit.ClassRule;
import org.junit.Test;
import org.l2cbeam.core.Parity;
import org.l2cbeam.core.TestResources;
import org.l2cbeam.core.diffusion.DiscreteVpSchedule;
import org.l2cbeam.core.diffusion.DpmSolver2S;
import org.l2cbeam.core.io.WeightMap;
import org.l2cbeam.core.model.LayerCache;
import org.l2cbeam.core.model.ReferenceModel;
import org.l2cbeam.core.model.UViT;
import org.l2cbeam.core.model.UnitPlan;

/**
 * Teacher, student, L1, loss and gradient of the U-ViT router objective against P26 ({@code
 * router_train.*}).
 */
public class UViTRouterObjectiveTest {
  static final WeightMap VEC = WeightMap.open(TestResources.vector("uvit_forward.safetensors"));
  static final WeightMap ROUTER = WeightMap.open(TestResources.vector("uvit_router.safetensors"));

  @ClassRule public static final ReferenceModel<UViT> REFERENCE = ReferenceModel.uvit();

  /**
   * The reference router's row 1: the logits p_1 of the cache step at the start of outer step 1.
   */
  private static float[] routerRow1() {
    return java.util.Arrays.copyOfRange(ROUTER.get("router.prob").toFloatArray(), 10, 20);
  }

  /**
   * The full step at outer step 0's midpoint (in.xb at l2c.tb): records every unit's output into
   * the cache.
   */
  private static void recordFullStep(NDManager m, long[] y, LayerCache cache) {
    NDArray xb = VEC.get("in.xb").toNDArray(m);
    float tb = VEC.get("l2c.tb").toFloatArray()[0];
    REFERENCE
        .model()
        .forward(xb, new float[] {tb, tb}, y, UnitPlan.recordAll(REFERENCE.model().units()), cache);
  }

  private static UViTRouterObjective objective(
      DpmSolver2S solver, UViTRouterObjective.TimeInput time) {
    return new UViTRouterObjective(REFERENCE.model(), solver, 0.1, time);
  }

  @Test
  public void lossAndGradientMatchTheOriginal() {
    DpmSolver2S solver = new DpmSolver2S(DiscreteVpSchedule.stableDiffusion(), 10);
    UViTRouterObjective objective = objective(solver, UViTRouterObjective.TimeInput.INTEGER);
    assertEquals(800f, objective.cacheStepTime(1), 0f);
    assertEquals(
        (float) VEC.get("router_train.t_int").toLongArray()[0], objective.cacheStepTime(1), 0f);
    float[] p1 = routerRow1();
    long[] y = VEC.get("in.y").toLongArray();
    try (NDManager m = REFERENCE.manager().newSubManager();
        LayerCache cache = new LayerCache(m, REFERENCE.model().units())) {
      recordFullStep(m, y, cache);
      NDArray xc = VEC.get("in.xc").toNDArray(m);
      RouterObjective.Evaluation r =
          objective.objective(xc, objective.cacheStepTime(1), y, cache, p1);

      float[] l1 = VEC.get("router_train.l1").toFloatArray();
      float[] data = VEC.get("router_train.data_loss").toFloatArray();
      float[] loss = VEC.get("router_train.loss").toFloatArray();
      double eL1 = Parity.assertClose("l1", new float[] {r.l1}, l1, Parity.FORWARD);
      double eData = Parity.assertClose("data_loss", r.perSampleDataLoss, data, Parity.TRAJECTORY);
      float meanLoss = (loss[0] + loss[1]) / 2;
      double eLoss =
          Parity.assertClose(
              "loss", new float[] {r.loss}, new float[] {meanLoss}, Parity.TRAJECTORY);
      double eGrad =
          Parity.assertClose(
              "grad_prob1",
              r.gradient,
              VEC.get("router_train.grad_prob1").toFloatArray(),
              Parity.TRAJECTORY);
      System.out.printf(
          "U-ViT router objective parity: l1 %.2e, data %.2e, loss %.2e, gradient %.2e%n",
          eL1, eData, eLoss, eGrad);
    }
  }

  @Test
  public void teacherAndStudentOutputsMatch() {
    float[] p1 = routerRow1();
    long[] y = VEC.get("in.y").toLongArray();
    try (NDManager m = REFERENCE.manager().newSubManager();
        LayerCache cache = new LayerCache(m, REFERENCE.model().units())) {
      recordFullStep(m, y, cache);
      NDArray xc = VEC.get("in.xc").toNDArray(m);
      float[] t = {800f, 800f};
      NDArray teacher = REFERENCE.model().forward(xc, t, y);
      NDArray beta = m.create(p1);
      beta = ai.djl.nn.Activation.sigmoid(beta);
      NDArray student = REFERENCE.model().forward(xc, t, y, UnitPlan.soft(beta), cache);
      double et =
          Parity.assertClose("t_pred", teacher, VEC.get("router_train.t_pred"), Parity.FORWARD);
      double es =
          Parity.assertClose("s_pred", student, VEC.get("router_train.s_pred"), Parity.FORWARD);
      System.out.printf(
          "U-ViT router teacher/student parity: teacher %.2e, student %.2e%n", et, es);
    }
  }

  @Test
  public void cacheStepWithoutRouterIsRejected() {
    DpmSolver2S solver = new DpmSolver2S(DiscreteVpSchedule.stableDiffusion(), 10);
    UViTRouterObjective objective = objective(solver, UViTRouterObjective.TimeInput.INTEGER);
    try (NDManager m = REFERENCE.manager().newSubManager()) {
      NDArray z = m.zeros(new ai.djl.ndarray.types.Shape(1, 4, 8, 8));
      IllegalArgumentException e =
          assertThrows(
              IllegalArgumentException.class,
              () -> objective.evaluate(z, z, new long[] {1}, 0, new float[10]));
      assertThat(e.getMessage(), containsString("cache step 0 has no router"));
    }
  }

  @Test
  public void floatTimeOptionFeedsTheSamplingTime() {
    DpmSolver2S solver = new DpmSolver2S(DiscreteVpSchedule.stableDiffusion(), 10);
    UViTRouterObjective objective = objective(solver, UViTRouterObjective.TimeInput.FLOAT);
    assertEquals(solver.timeGrid()[1] * 1000f, objective.cacheStepTime(1), 0f);
  }
}
