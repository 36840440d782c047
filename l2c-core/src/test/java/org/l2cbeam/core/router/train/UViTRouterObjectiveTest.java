package org.l2cbeam.core.router.train;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertThrows;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import org.junit.AfterClass;
import org.junit.BeforeClass;
import org.junit.Test;
import org.l2cbeam.core.TestResources;
import org.l2cbeam.core.Parity;
import org.l2cbeam.core.diffusion.DiscreteVpSchedule;
import org.l2cbeam.core.diffusion.DpmSolver2S;
import org.l2cbeam.core.io.WeightMap;
import org.l2cbeam.core.model.LayerCache;
import org.l2cbeam.core.model.UViT;
import org.l2cbeam.core.model.UnitPlan;
import org.l2cbeam.core.runtime.Torch;

/** Teacher, student, L1, loss and gradient of the U-ViT router objective against P26 ({@code router_train.*}). */
public class UViTRouterObjectiveTest {
  static final WeightMap VEC = WeightMap.open(TestResources.vector("uvit_forward.safetensors"));
  static final WeightMap ROUTER = WeightMap.open(TestResources.vector("uvit_router.safetensors"));
  private static UViT model;
  private static NDManager manager;

  @BeforeClass
  public static void load() {
    Torch.inferenceMode();
    model = UViT.load(WeightMap.open(TestResources.vector("uvit_model.safetensors")), 4);
    manager = Torch.newManager();
  }

  @AfterClass
  public static void close() {
    model.close();
    manager.close();
  }

  @Test
  public void lossAndGradientMatchTheOriginal() {
    DpmSolver2S solver = new DpmSolver2S(DiscreteVpSchedule.stableDiffusion(), 10);
    UViTRouterObjective objective = new UViTRouterObjective(model, solver, 0.1, UViTRouterObjective.TimeInput.INTEGER);
    assertEquals(800f, objective.cacheStepTime(1), 0f);
    assertEquals((float) VEC.get("router_train.t_int").toLongArray()[0], objective.cacheStepTime(1), 0f);
    float[] probs = ROUTER.get("router.prob").toFloatArray();
    float[] p1 = java.util.Arrays.copyOfRange(probs, 10, 20);
    long[] y = VEC.get("in.y").toLongArray();
    try (NDManager m = manager.newSubManager(); LayerCache cache = new LayerCache(m, model.units())) {
      NDArray xb = VEC.get("in.xb").toNDArray(m);
      NDArray xc = VEC.get("in.xc").toNDArray(m);
      float tb = VEC.get("l2c.tb").toFloatArray()[0];
      model.forward(xb, new float[] {tb, tb}, y, UnitPlan.recordAll(model.units()), cache);
      RouterObjective.Evaluation r = objective.objective(xc, objective.cacheStepTime(1), y, cache, p1);

      float[] l1 = VEC.get("router_train.l1").toFloatArray();
      float[] data = VEC.get("router_train.data_loss").toFloatArray();
      float[] loss = VEC.get("router_train.loss").toFloatArray();
      double eL1 = Parity.assertClose("l1", new float[] {r.l1}, l1, Parity.FORWARD);
      double eData = Parity.assertClose("data_loss", r.perSampleDataLoss, data, Parity.TRAJECTORY);
      float meanLoss = (loss[0] + loss[1]) / 2;
      double eLoss = Parity.assertClose("loss", new float[] {r.loss}, new float[] {meanLoss}, Parity.TRAJECTORY);
      double eGrad = Parity.assertClose(
          "grad_prob1", r.gradient, VEC.get("router_train.grad_prob1").toFloatArray(), Parity.TRAJECTORY);
      System.out.printf("U-ViT router objective parity: l1 %.2e, data %.2e, loss %.2e, gradient %.2e%n",
          eL1, eData, eLoss, eGrad);
    }
  }

  @Test
  public void teacherAndStudentOutputsMatch() {
    float[] probs = ROUTER.get("router.prob").toFloatArray();
    float[] p1 = java.util.Arrays.copyOfRange(probs, 10, 20);
    long[] y = VEC.get("in.y").toLongArray();
    try (NDManager m = manager.newSubManager(); LayerCache cache = new LayerCache(m, model.units())) {
      NDArray xb = VEC.get("in.xb").toNDArray(m);
      NDArray xc = VEC.get("in.xc").toNDArray(m);
      float tb = VEC.get("l2c.tb").toFloatArray()[0];
      model.forward(xb, new float[] {tb, tb}, y, UnitPlan.recordAll(model.units()), cache);
      float[] t = {800f, 800f};
      NDArray teacher = model.forward(xc, t, y);
      NDArray beta = m.create(p1);
      beta = ai.djl.nn.Activation.sigmoid(beta);
      NDArray student = model.forward(xc, t, y, UnitPlan.soft(beta), cache);
      double et = Parity.assertClose("t_pred", teacher, VEC.get("router_train.t_pred"), Parity.FORWARD);
      double es = Parity.assertClose("s_pred", student, VEC.get("router_train.s_pred"), Parity.FORWARD);
      System.out.printf("U-ViT router teacher/student parity: teacher %.2e, student %.2e%n", et, es);
    }
  }

  @Test
  public void cacheStepWithoutRouterIsRejected() {
    DpmSolver2S solver = new DpmSolver2S(DiscreteVpSchedule.stableDiffusion(), 10);
    UViTRouterObjective objective = new UViTRouterObjective(model, solver, 0.1, UViTRouterObjective.TimeInput.INTEGER);
    try (NDManager m = manager.newSubManager()) {
      NDArray z = m.zeros(new ai.djl.ndarray.types.Shape(1, 4, 8, 8));
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
          () -> objective.evaluate(z, z, new long[] {1}, 0, new float[10]));
      assertThat(e.getMessage(), containsString("cache step 0 has no router"));
    }
  }

  @Test
  public void floatTimeOptionFeedsTheSamplingTime() {
    DpmSolver2S solver = new DpmSolver2S(DiscreteVpSchedule.stableDiffusion(), 10);
    UViTRouterObjective objective = new UViTRouterObjective(model, solver, 0.1, UViTRouterObjective.TimeInput.FLOAT);
    assertEquals(solver.timeGrid()[1] * 1000f, objective.cacheStepTime(1), 0f);
  }
}
