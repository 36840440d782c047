package org.l2cbeam.core.router.train;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import java.util.Arrays;
import org.l2cbeam.core.diffusion.DiscreteVpSchedule;
import org.l2cbeam.core.diffusion.DpmSolver2S;
import org.l2cbeam.core.model.LayerCache;
import org.l2cbeam.core.model.UViT;
import org.l2cbeam.core.model.UnitPlan;
import org.l2cbeam.core.router.ModelFamily;
import org.l2cbeam.core.runtime.Autograd;
import org.l2cbeam.core.runtime.Torch;

/**
 * The U-ViT router objective ({@code train_router_discrete.LRouter}) for one cache step k ∈ 1..K−1
 * of DPM-Solver-2 with K = NFE/2 outer steps:
 *
 * <pre>
 *   x_s  = sqrt(ᾱ[n_s])·z0 + sqrt(1−ᾱ[n_s])·ε,   n_s = round(1000·t_{k−1})         (discrete schedule)
 *   x_t  = one DPM-Solver step t_{k−1} → t_k, no CFG, no grad; its midpoint evaluation records the cache
 *   T    = ε_full(x_t, τ, y)                       teacher, everything computed
 *   S    = ε_β(x_t, τ, y)                          student: unit u = β_u·fresh + (1−β_u)·cached, β = sigmoid(p_k)
 *   loss = mean_batch( Σ_{C,H,W} (T − S)² + λ·Σ_u β_u )
 * </pre>
 *
 * <p>The data term is a <b>sum</b> over C×H×W (the original's {@code sos}), unlike DiT's mean; the
 * README's λ is 0.1 at NFE 20. {@code τ} is the <b>integer</b> {@code round(1000·t_k)} by default,
 * as the original trains, although sampling feeds the float {@code 1000·t_k}: a train/inference
 * mismatch of the original, kept for parity and switchable with {@link TimeInput#FLOAT}.
 */
public final class UViTRouterObjective implements RouterObjective {
  /** The time the teacher and student see at the cache step. */
  public enum TimeInput {
    /** {@code round(1000·t_k)}, as {@code train_router_discrete.py} (the default, for parity). */
    INTEGER,
    /** {@code 1000·t_k} as float32, what DPM-Solver feeds at sampling time. */
    FLOAT
  }

  private final UViT model;
  private final DpmSolver2S solver;
  private final double lambda;
  private final TimeInput timeInput;
  private final double[] cumulativeAlphas;

  public UViTRouterObjective(UViT model, DpmSolver2S solver, double lambda, TimeInput timeInput) {
    if (!(lambda >= 0) || !Double.isFinite(lambda)) {
      throw new IllegalArgumentException("--lambda must be >= 0, got " + lambda);
    }
    this.model = model;
    this.solver = solver;
    this.lambda = lambda;
    this.timeInput = timeInput;
    // train_router_discrete.Schedule: float64 cumprod of (1 - beta), 1-indexed (index 0 = no noise)
    double[] betas = DiscreteVpSchedule.stableDiffusionBetas();
    cumulativeAlphas = new double[betas.length + 1];
    cumulativeAlphas[0] = 1;
    for (int n = 1; n <= betas.length; n++)
      cumulativeAlphas[n] = cumulativeAlphas[n - 1] * (1 - betas[n - 1]);
  }

  @Override
  public ModelFamily family() {
    return ModelFamily.UVIT;
  }

  @Override
  public Device device() {
    return model.device();
  }

  @Override
  public int units() {
    return model.units();
  }

  @Override
  public int samplingSteps() {
    return solver.nfe();
  }

  /** {@code train_router_discrete.py} has no clamp: the released U-ViT logits reach ±18. */
  @Override
  public boolean clampsLogits() {
    return false;
  }

  /**
   * One training batch: labels dropped to the null label by the batch's mask, k = the batch's cache
   * step.
   */
  @Override
  public Evaluation evaluate(NDManager parent, TrainingBatch batch, float[] routerLogits) {
    int[] s = batch.shape();
    Shape shape = new Shape(s[0], s[1], s[2], s[3]);
    long[] y = batch.labels().clone();
    boolean[] drop = batch.dropLabel();
    for (int i = 0; i < y.length; i++) if (drop[i]) y[i] = model.config().nullLabel();
    try (NDManager step = parent.newSubManager()) {
      NDArray z0 = step.create(batch.x0(), shape);
      NDArray noise = step.create(batch.noise(), shape);
      return evaluate(z0, noise, y, batch.cacheStep(), routerLogits);
    }
  }

  /** Cache steps that have a router: 1..K−1. */
  public int firstCacheStep() {
    return 1;
  }

  public int lastCacheStep() {
    return solver.outerSteps() - 1;
  }

  /** The time the teacher and student receive at cache step k. */
  public float cacheStepTime(int k) {
    float t = solver.timeGrid()[k] * 1000f;
    return timeInput == TimeInput.INTEGER ? Math.round(t) : t;
  }

  /**
   * The full objective for cache step {@code k} on a batch of clean latents {@code z0} with noise
   * {@code noise} (both [B, C, H, W]) and labels (after dropout); {@code logits} are {@code p_k}.
   */
  public Evaluation evaluate(NDArray z0, NDArray noise, long[] labels, int k, float[] logits) {
    checkCacheStep(k);
    NDManager caller = z0.getManager();
    try (NDManager scope = caller.newSubManager();
        LayerCache cache = new LayerCache(scope, model.units())) {
      Torch.setGradMode(false);
      NDArray xt = preStep(z0, noise, labels, k, cache, scope);
      return objective(xt, cacheStepTime(k), labels, cache, logits);
    }
  }

  /**
   * {@code x_t} at cache step k, with the cache holding the features of the pre-step's midpoint
   * evaluation.
   */
  NDArray preStep(
      NDArray z0, NDArray noise, long[] labels, int k, LayerCache cache, NDManager scope) {
    float[] grid = solver.timeGrid();
    int ns = Math.round(grid[k - 1] * 1000f);
    float a = (float) Math.sqrt(cumulativeAlphas[ns]);
    float b = (float) Math.sqrt(1 - cumulativeAlphas[ns]);
    NDArray x0 = z0.duplicate();
    x0.attach(scope);
    NDArray xs = x0.mul(a).add(noise.mul(b));
    int units = model.units();
    DpmSolver2S.NoisePredictor plain =
        (x, t, ev) -> {
          float[] ts = new float[labels.length];
          Arrays.fill(ts, t);
          return model.forward(
              x,
              ts,
              labels,
              ev.midpoint() ? UnitPlan.recordAll(units) : UnitPlan.computeAll(units),
              cache);
        };
    return solver.step(xs, k - 1, plain);
  }

  /**
   * Teacher and student at {@code (x, modelTime)} against a filled {@code cache}; the gradient of
   * the batch-mean loss with respect to {@code logits}. Runs the student under the JVM's gradient
   * collector.
   */
  public Evaluation objective(
      NDArray x, float modelTime, long[] labels, LayerCache cache, float[] logits) {
    if (logits.length != model.units()) {
      throw new IllegalArgumentException(
          "router has "
              + logits.length
              + " logits but the U-ViT has "
              + model.units()
              + " cache units");
    }
    float[] t = new float[labels.length];
    Arrays.fill(t, modelTime);
    NDManager caller = x.getManager();
    try (NDManager scope = caller.newSubManager()) {
      Torch.setGradMode(false);
      NDArray teacher = model.forward(x, t, labels, UnitPlan.computeAll(model.units()), null);
      teacher.attach(scope);
      NDArray p = scope.create(logits);
      p.setRequiresGradient(true);
      NDArray lambdaScalar = scope.full(new Shape(), (float) lambda);
      try {
        return Autograd.withCollector(
            collector -> {
              NDArray beta = Activation.sigmoid(p);
              NDArray student = model.forward(x, t, labels, UnitPlan.soft(beta), cache);
              student.attach(scope);
              NDArray diff = teacher.sub(student);
              NDArray data =
                  diff.mul(diff).sum(new int[] {1, 2, 3}); // the original's sos: a sum, not a mean
              NDArray l1 = beta.sum();
              NDArray loss = data.add(l1.mul(lambdaScalar)).mean();
              collector.backward(loss);
              NDArray grad = p.getGradient();
              grad.attach(scope);
              return new Evaluation(
                  loss.getFloat(),
                  data.mean().getFloat(),
                  l1.getFloat(),
                  data.toFloatArray(),
                  grad.toFloatArray());
            });
      } finally {
        Torch.setGradMode(false);
      }
    }
  }

  private void checkCacheStep(int k) {
    if (k < firstCacheStep() || k > lastCacheStep()) {
      throw new IllegalArgumentException(
          "cache step "
              + k
              + " has no router: U-ViT routers are the outer steps 1.."
              + lastCacheStep()
              + " of NFE "
              + solver.nfe());
    }
  }
}
