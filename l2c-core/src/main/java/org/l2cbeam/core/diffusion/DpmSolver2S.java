package org.l2cbeam.core.diffusion;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import org.l2cbeam.core.model.UnitPlan;
import org.l2cbeam.core.router.CacheSchedule;
import org.l2cbeam.core.router.ModelFamily;

/**
 * DPM-Solver++ singlestep, order 2 ({@code DPM_Solver(predict_x0=True).sample(method='singlestep',
 * order=2, solver_type='dpm_solver', skip_type='time_uniform')}), as U-ViT samples: {@code K =
 * NFE/2} outer steps on the time grid {@code linspace(T=1, eps=1e-3, K+1)}, each with two network
 * evaluations, at {@code s = t_k} and at the midpoint {@code s1 = λ⁻¹(λ_s + h/2)}; no final
 * denoising step.
 *
 * <p>Evaluations are identified by their outer step and position ({@link Evaluation}), never by the
 * (rounded, float) time: that is what the L2C cache pairing and the router index need, and the
 * original's lookup by {@code round(t·1000)} is fragile.
 */
public final class DpmSolver2S {
  /** Where in the solver a network evaluation happens. */
  public static final class Evaluation {
    private final int outerStep;
    private final boolean midpoint;

    public Evaluation(int outerStep, boolean midpoint) {
      this.outerStep = outerStep;
      this.midpoint = midpoint;
    }

    /** k: this evaluation belongs to the step {@code t_k → t_{k+1}}. */
    public int outerStep() {
      return outerStep;
    }

    /** True for the evaluation at the midpoint {@code s1}, false for the one at {@code s = t_k}. */
    public boolean midpoint() {
      return midpoint;
    }

    /** Position among all NFE evaluations, 0-based. */
    public int index() {
      return 2 * outerStep + (midpoint ? 1 : 0);
    }

    @Override
    public String toString() {
      return "step " + outerStep + (midpoint ? " midpoint" : " start");
    }
  }

  /** The noise prediction ε(x, t) of the (guided, possibly cached) network. */
  @FunctionalInterface
  public interface NoisePredictor {
    /**
     * @param x latents in the caller's scope; the result must live in {@code x}'s manager or a
     *     parent of it
     * @param modelTime the value the network receives: continuous time × 1000, as float32
     */
    NDArray predict(NDArray x, float modelTime, Evaluation evaluation);
  }

  /** Sees the state after each outer step (for trajectories and progress); may be null. */
  @FunctionalInterface
  public interface StepListener {
    void afterStep(int outerStep, NDArray x);
  }

  public static final float T_START = 1f;
  public static final float T_END = 1f / 1000;
  private static final float R1 = 0.5f;

  private final DiscreteVpSchedule schedule;
  private final int nfe;
  private final float[] grid;

  /**
   * @param nfe number of network evaluations; must be even, since every outer step evaluates twice
   * @throws IllegalArgumentException naming {@code --steps} for an odd or non-positive NFE
   */
  public DpmSolver2S(DiscreteVpSchedule schedule, int nfe) {
    if (nfe < 2 || nfe % 2 != 0) {
      throw new IllegalArgumentException(
          "--steps "
              + nfe
              + ": DPM-Solver-2 (singlestep, order 2) needs an even number of network evaluations"
              + " >= 2 (each outer step evaluates twice), e.g. 20 or 50");
    }
    this.schedule = schedule;
    this.nfe = nfe;
    this.grid = TorchLinspace.float32(T_START, T_END, nfe / 2 + 1);
  }

  public int nfe() {
    return nfe;
  }

  /** K = NFE / 2. */
  public int outerSteps() {
    return nfe / 2;
  }

  /** The time grid {@code t_0 = 1 > … > t_K = 1e-3} (float32, as torch.linspace makes it). */
  public float[] timeGrid() {
    return grid.clone();
  }

  /** The midpoint time {@code s1} of outer step k. */
  public float midpointTime(int k) {
    float lambdaS = schedule.marginalLambda(grid[k]);
    float h = schedule.marginalLambda(grid[k + 1]) - lambdaS;
    return schedule.inverseLambda(lambdaS + R1 * h);
  }

  /**
   * The plan of one evaluation under L2C's step pairing for this solver (U-ViT's rule in {@link
   * org.l2cbeam.core.router.StepPairing#plan}): the midpoint evaluation of outer step k records the
   * cache for the first evaluation of step k + 1, which reuses those features for the units row k +
   * 1 of {@code schedule} does not compute; the first evaluation of step 0 has no cache. A null
   * schedule (or one that reuses nothing) computes everything and records nothing.
   */
  public UnitPlan cachePlan(Evaluation evaluation, CacheSchedule schedule, int units) {
    if (schedule != null) {
      schedule.checkFits(outerSteps(), units);
    }
    return ModelFamily.UVIT
        .pairing()
        .plan(evaluation.outerStep(), evaluation.midpoint() ? 1 : 0, schedule, units);
  }

  /**
   * Runs all K outer steps from {@code z} at t = 1; the result is attached to {@code z}'s manager.
   */
  public NDArray sample(NDArray z, NoisePredictor eps, StepListener listener) {
    NDManager owner = z.getManager();
    NDArray x = z;
    for (int k = 0; k < outerSteps(); k++) {
      try (NDManager scope = owner.newSubManager()) {
        NDArray in = x.duplicate();
        in.attach(scope);
        NDArray next = step(in, k, eps);
        next.attach(owner);
        if (x != z) x.close();
        x = next;
      }
      if (listener != null) listener.afterStep(k, x);
    }
    return x;
  }

  /**
   * One outer step, {@code dpm_solver_second_update} with {@code predict_x0=True}, r1 = 0.5, from
   * {@code t_k} to {@code t_{k+1}} (router training runs exactly this as its no-grad pre-step). The
   * result lands in {@code x}'s manager.
   */
  public NDArray step(NDArray x, int k, NoisePredictor eps) {
    if (k < 0 || k >= outerSteps()) {
      throw new IllegalArgumentException(
          "outer step " + k + " is outside 0.." + (outerSteps() - 1));
    }
    float s = grid[k];
    float t = grid[k + 1];
    DiscreteVpSchedule ns = schedule;
    float lambdaS = ns.marginalLambda(s);
    float lambdaT = ns.marginalLambda(t);
    float h = lambdaT - lambdaS;
    float s1 = ns.inverseLambda(lambdaS + R1 * h);
    float sigmaS = ns.marginalStd(s);
    float sigmaS1 = ns.marginalStd(s1);
    float sigmaT = ns.marginalStd(t);
    float alphaS1 = (float) Math.exp(ns.marginalLogMeanCoeff(s1));
    float alphaT = (float) Math.exp(ns.marginalLogMeanCoeff(t));
    float phi11 = (float) Math.expm1(-R1 * h);
    float phi1 = (float) Math.expm1(-h);

    NDArray x0S = dataPrediction(x, s, eps, new Evaluation(k, false));
    NDArray xS1 = x.mul(sigmaS1 / sigmaS).sub(x0S.mul(alphaS1 * phi11));
    NDArray x0S1 = dataPrediction(xS1, s1, eps, new Evaluation(k, true));
    float c = alphaT * phi1;
    // solver_type 'dpm_solver': x_t = (σ_t/σ_s)x − α_t φ1 x0_s − (0.5/r1) α_t φ1 (x0_s1 − x0_s)
    return x.mul(sigmaT / sigmaS).sub(x0S.mul(c)).sub(x0S1.sub(x0S).mul((0.5f / R1) * c));
  }

  /** {@code DPM_Solver.model_fn} with {@code predict_x0}: {@code x0 = (x − σ_t·ε(x, t)) / α_t}. */
  private NDArray dataPrediction(NDArray x, float t, NoisePredictor eps, Evaluation evaluation) {
    float alpha = schedule.marginalAlpha(t);
    float sigma = schedule.marginalStd(t);
    NDArray noise = eps.predict(x, t * 1000f, evaluation);
    return x.sub(noise.mul(sigma)).div(alpha);
  }
}
