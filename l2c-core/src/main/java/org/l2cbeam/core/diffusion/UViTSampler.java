package org.l2cbeam.core.diffusion;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.Arrays;
import org.l2cbeam.core.model.LayerCache;
import org.l2cbeam.core.model.UViT;
import org.l2cbeam.core.model.UViTConfig;
import org.l2cbeam.core.model.UnitPlan;
import org.l2cbeam.core.router.CacheSchedule;

/**
 * Samples class-conditional latents from a U-ViT the way {@code sample_ldm_discrete.py} with {@code
 * uvit_dynamic} does: DPM-Solver++(2S) ({@link DpmSolver2S}) on U-ViT's discrete schedule,
 * optionally with a static L2C schedule.
 *
 * <ul>
 *   <li>CFG (scale ≠ 1): <b>two</b> forward calls per evaluation, conditional then unconditional
 *       (label {@link UViTConfig#nullLabel()}), combined by {@link Guidance#combine(NDArray,
 *       NDArray, int)} on all channels: {@code ε = ε_u + w·(ε_c − ε_u)}. {@code w} is the standard
 *       weight: the original's {@code sample.scale = 0.4} ({@code ε_c + s·(ε_c − ε_u)}) is {@code w
 *       = 1 + s = 1.4}.
 *   <li>L2C: the two calls keep <b>separate</b> layer caches but share one decision, the {@link
 *       UnitPlan} from the solver's pairing rule ({@link DpmSolver2S#cachePlan}): the midpoint
 *       evaluation of every outer step records, the first evaluation of outer step k ≥ 1 reuses
 *       with schedule row k.
 * </ul>
 */
public final class UViTSampler {
  /** The raw outputs of one evaluation: conditional, and unconditional (null without guidance). */
  public static final class Evaluation {
    public final NDArray cond;
    public final NDArray uncond;

    Evaluation(NDArray cond, NDArray uncond) {
      this.cond = cond;
      this.uncond = uncond;
    }
  }

  private final UViT model;
  private final DpmSolver2S solver;
  private final Guidance guidance;
  private final CacheSchedule schedule;
  private long unitsComputed;
  private long unitsTotal;

  /**
   * @param guidanceScale the standard CFG weight w ({@code --cfg-scale}); 1 means no guidance (one
   *     call)
   * @param schedule null for the plain sampler; otherwise one row per outer step (the U-ViT router
   *     layout)
   */
  public UViTSampler(UViT model, DpmSolver2S solver, double guidanceScale, CacheSchedule schedule) {
    if (!Double.isFinite(guidanceScale)) {
      throw new IllegalArgumentException("--cfg-scale must be finite, got " + guidanceScale);
    }
    if (schedule != null) {
      if (schedule.units() != model.units()) {
        throw new IllegalArgumentException(
            "the cache schedule has "
                + schedule.units()
                + " units but the U-ViT has "
                + model.units()
                + " (a router for another model?)");
      }
      schedule.checkFits(solver.outerSteps(), model.units());
    }
    this.model = model;
    this.solver = solver;
    this.guidance =
        guidanceScale == 1.0 ? null : new Guidance(guidanceScale, Guidance.Channels.ALL);
    this.schedule = schedule;
  }

  public DpmSolver2S solver() {
    return solver;
  }

  /**
   * Samples from {@code z [n, C, H, W]} (the noise at t = 1) for {@code labels [n]}; the result
   * lands in {@code z}'s manager.
   */
  public NDArray sample(NDArray z, long[] labels, DpmSolver2S.StepListener listener) {
    UViTConfig cfg = model.config();
    Shape s = z.getShape();
    if (s.dimension() != 4
        || s.get(1) != cfg.inChannels
        || s.get(2) != cfg.imageSize
        || s.get(3) != cfg.imageSize) {
      throw new IllegalArgumentException(
          "initial noise z has shape "
              + s
              + " but the model expects [n, "
              + cfg.inChannels
              + ", "
              + cfg.imageSize
              + ", "
              + cfg.imageSize
              + "]");
    }
    if (labels.length != s.get(0)) {
      throw new IllegalArgumentException(
          labels.length + " labels for " + s.get(0) + " initial latents");
    }
    unitsComputed = 0;
    unitsTotal = 0;
    try (Caches caches = new Caches(z.getManager())) {
      return solver.sample(z, guidedPredictor(labels, caches), listener);
    }
  }

  /** Fraction of cache-unit evaluations computed over the last run (1.0 for the plain sampler). */
  public double computedFraction() {
    return unitsTotal == 0 ? 1.0 : (double) unitsComputed / unitsTotal;
  }

  /**
   * The guided noise prediction the solver calls, for {@code labels}, reading and recording {@code
   * caches}.
   */
  public DpmSolver2S.NoisePredictor guidedPredictor(long[] labels, Caches caches) {
    return (x, modelTime, ev) -> {
      Evaluation e = evaluate(x, modelTime, ev, labels, caches);
      NDArray eps =
          e.uncond == null ? e.cond : guidance.combine(e.cond, e.uncond, model.config().inChannels);
      if (!NonFiniteOutputException.allFinite(eps)) {
        throw new NonFiniteOutputException(
            "NaN/Inf in the U-ViT output at "
                + ev
                + " (evaluation "
                + ev.index()
                + " of "
                + solver.nfe()
                + ", network time "
                + modelTime
                + ")"
                + (NonFiniteOutputException.allFinite(x)
                    ? ""
                    : ": the input latent is already non-finite"),
            ev.outerStep(),
            -1);
      }
      return eps;
    };
  }

  /** The per-call state of a run: the cond and uncond caches. */
  public final class Caches implements AutoCloseable {
    final NDManager manager;
    final LayerCache cond;
    final LayerCache uncond;

    public Caches(NDManager parent) {
      manager = parent.newSubManager();
      cond = new LayerCache(manager, model.units());
      uncond = new LayerCache(manager, model.units());
    }

    @Override
    public void close() {
      cond.close();
      uncond.close();
      manager.close();
    }
  }

  /**
   * The raw conditional and unconditional outputs of one evaluation, with their own caches and one
   * shared plan.
   */
  public Evaluation evaluate(
      NDArray x, float modelTime, DpmSolver2S.Evaluation ev, long[] labels, Caches caches) {
    UnitPlan plan = solver.cachePlan(ev, schedule, model.units());
    float[] t = new float[labels.length];
    Arrays.fill(t, modelTime);
    NDArray cond = model.forward(x, t, labels, plan, caches.cond);
    NDArray uncond = null;
    if (guidance != null) {
      long[] nullLabels = new long[labels.length];
      Arrays.fill(nullLabels, model.config().nullLabel());
      uncond = model.forward(x, t, nullLabels, plan, caches.uncond);
    }
    int calls = guidance == null ? 1 : 2;
    unitsComputed += (long) calls * plan.computedUnits();
    unitsTotal += (long) calls * plan.units();
    return new Evaluation(cond, uncond);
  }
}
