package org.l2cbeam.core.router.train;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.Arrays;
import org.l2cbeam.core.diffusion.DdimSampler;
import org.l2cbeam.core.diffusion.NoiseSchedule;
import org.l2cbeam.core.model.DiT;
import org.l2cbeam.core.model.LayerCache;
import org.l2cbeam.core.model.UnitPlan;
import org.l2cbeam.core.router.ModelFamily;
import org.l2cbeam.core.runtime.Autograd;

/**
 * The L2C DiT router objective, as the original's {@code GaussianDiffusion.router_training_losses}
 * computes it (docs/how-l2c-works.md, "Router training"), for one batch and the router of one cache
 * step k (full step t = k+1):
 *
 * <pre>
 *   x_t    = sqrt(ᾱ'_t) x0 + sqrt(1-ᾱ'_t) noise                       q_sample at the odd spaced index t
 *   x_k    = DDIM(η=0) step from t with the FULL model, recording the cache      (no router, no CFG, no grad)
 *   target = model(x_k, τ_k, y)             the full model; the cache is read by nobody and not overwritten
 *   pred   = model(x_k, τ_k, y) with every unit mixed  β_u·fresh + (1-β_u)·cached,  β = sigmoid(p_k)
 *   loss   = mean over all output channels (ε and σ), H, W and the batch of (target - pred)²  +  λ·Σ_u β_u
 * </pre>
 *
 * Labels dropped to the null class by the batch's mask are dropped in all three forwards. Only the
 * student forward runs under the gradient collector; gradients flow through the frozen network into
 * the router logits only.
 */
public final class DiTRouterObjective implements RouterObjective {
  private final DiT model;
  private final NoiseSchedule schedule;
  private final DdimSampler ddim;
  private final double lambda;

  /**
   * @param model the frozen DiT
   * @param schedule the respaced diffusion of the sampler the routers are for ({@code
   *     NoiseSchedule.dit(N)})
   * @param lambda the weight of the L1 term (README: 5e-6 for N=20, 1e-6 for N=50)
   */
  public DiTRouterObjective(DiT model, NoiseSchedule schedule, double lambda) {
    this.model = model;
    this.schedule = schedule;
    this.ddim = new DdimSampler(schedule);
    this.lambda = lambda;
  }

  public DiT model() {
    return model;
  }

  @Override
  public ModelFamily family() {
    return ModelFamily.DIT;
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
  public boolean clampsLogits() {
    return true;
  }

  @Override
  public int samplingSteps() {
    return schedule.steps();
  }

  /** The loss and its gradient with respect to the logits {@code p_k} of the batch's cache step. */
  @Override
  public Evaluation evaluate(NDManager parent, TrainingBatch batch, float[] routerLogits) {
    int k = batch.cacheStep();
    int t = k + 1; // DiT pairing: the full step right before cache step k
    if (t >= schedule.steps()) {
      throw new IllegalArgumentException(
          "cache step "
              + k
              + " has no full step "
              + t
              + " in a "
              + schedule.steps()
              + "-step sampler");
    }
    int units = model.units();
    if (routerLogits.length != units) {
      throw new IllegalArgumentException(
          "router has "
              + routerLogits.length
              + " logits but the model has "
              + units
              + " cache units");
    }
    int[] s = batch.shape();
    Shape shape = new Shape(s[0], s[1], s[2], s[3]);
    try (NDManager step = parent.newSubManager();
        LayerCache cache = new LayerCache(step, units)) {
      NDArray x0 = step.create(batch.x0(), shape);
      NDArray noise = step.create(batch.noise(), shape);
      NDArray y = step.create(labelsAfterDropout(batch));

      NDArray xt = schedule.qSample(x0, noise, t);

      // The full step: one DDIM step from t to k with the plain model, recording every unit into
      // the cache.
      NDArray fullOut =
          model.forward(xt, timestepsOf(step, t, s[0]), y, UnitPlan.recordAll(units), cache);
      NDArray xk = ddim.step(xt, fullOut, t)[0];

      NDArray tk = timestepsOf(step, k, s[0]);
      // Teacher: the full model at the cache step; computeAll neither reads nor overwrites the
      // cache.
      NDArray target = model.forward(xk, tk, y, UnitPlan.computeAll(units), cache);

      NDArray p = step.create(routerLogits);
      p.setRequiresGradient(true);
      NDArray lambdaArr = step.full(new Shape(), (float) lambda);
      float[][] values =
          Autograd.withCollector(
              collector -> {
                // Tensor scalars only in here: Number overloads create scalars the JVM may free
                // before backward (Autograd).
                NDArray beta = p.getNDArrayInternal().sigmoid();
                NDArray pred = model.forward(xk, tk, y, UnitPlan.soft(beta), cache);
                NDArray diff = target.sub(pred);
                NDArray perSample = diff.mul(diff).reshape(s[0], -1).mean(new int[] {1});
                NDArray mse = perSample.mean();
                NDArray l1 = beta.sum();
                NDArray loss = mse.add(l1.mul(lambdaArr));
                collector.backward(loss);
                try (NDArray grad = p.getGradient()) {
                  return new float[][] {
                    {loss.getFloat(), mse.getFloat(), l1.getFloat()},
                    perSample.toFloatArray(),
                    grad.toFloatArray()
                  };
                }
              });
      return new Evaluation(values[0][0], values[0][1], values[0][2], values[1], values[2]);
    }
  }

  private NDArray timestepsOf(NDManager m, int spacedIndex, int batch) {
    long[] t = new long[batch];
    Arrays.fill(t, schedule.timestep(spacedIndex));
    return m.create(t);
  }

  private long[] labelsAfterDropout(TrainingBatch batch) {
    long[] y = batch.labels().clone();
    boolean[] drop = batch.dropLabel();
    for (int i = 0; i < y.length; i++) if (drop[i]) y[i] = model.config().nullClass();
    return y;
  }
}
