package org.l2cbeam.core.diffusion;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.Arrays;
import org.l2cbeam.core.model.LayerCache;
import org.l2cbeam.core.model.UViT;
import org.l2cbeam.core.model.UnitPlan;
import org.l2cbeam.core.router.CacheSchedule;

/**
 * U-ViT's guided noise prediction for DPM-Solver, as {@code sample_ldm_discrete.py} + {@code uvit_dynamic.py} run
 * it: classifier-free guidance by two forward calls per evaluation, conditional then unconditional (label
 * {@link org.l2cbeam.core.model.UViTConfig#nullLabel()}), combined as {@code ε = ε_u + w·(ε_c − ε_u)}. With L2C, the
 * two calls keep <b>separate</b> layer caches but share one decision: the same {@link UnitPlan}, from the solver's
 * pairing rule ({@link DpmSolver2S#cachePlan}) and the static {@link CacheSchedule}.
 *
 * <p>{@code w} is the standard guidance weight; the original's {@code sample.scale = 0.4} ({@code ε_c + s·(ε_c −
 * ε_u)}) is {@code w = 1 + s = 1.4}. {@code w = 1} skips the unconditional call.
 */
public final class UViTNoisePredictor implements DpmSolver2S.NoisePredictor, AutoCloseable {
  /** The two raw outputs of one evaluation. */
  public static final class Pair {
    public final NDArray cond;
    public final NDArray uncond;

    Pair(NDArray cond, NDArray uncond) {
      this.cond = cond;
      this.uncond = uncond;
    }
  }

  private final UViT model;
  private final DpmSolver2S solver;
  private final long[] labels;
  private final long[] nullLabels;
  private final float guidanceWeight;
  private final CacheSchedule schedule;
  private final NDManager cacheManager;
  private final LayerCache condCache;
  private final LayerCache uncondCache;

  /**
   * @param schedule the static L2C schedule (row k = outer step k), or null for the plain sampler
   */
  public UViTNoisePredictor(
      UViT model, DpmSolver2S solver, long[] labels, double guidanceWeight, CacheSchedule schedule,
      NDManager parent) {
    if (!Double.isFinite(guidanceWeight)) {
      throw new IllegalArgumentException("--cfg-scale must be finite, got " + guidanceWeight);
    }
    if (schedule != null) {
      if (schedule.units() != model.units()) {
        throw new IllegalArgumentException(
            "the cache schedule has " + schedule.units() + " units but the U-ViT has " + model.units()
                + " (a router for another model?)");
      }
      schedule.checkFits(solver.outerSteps(), model.units());
    }
    this.model = model;
    this.solver = solver;
    this.labels = labels.clone();
    this.nullLabels = new long[labels.length];
    Arrays.fill(nullLabels, model.config().nullLabel());
    this.guidanceWeight = (float) guidanceWeight;
    this.schedule = schedule;
    this.cacheManager = parent.newSubManager();
    this.condCache = new LayerCache(cacheManager, model.units());
    this.uncondCache = new LayerCache(cacheManager, model.units());
  }

  public boolean guided() {
    return guidanceWeight != 1f;
  }

  @Override
  public NDArray predict(NDArray x, float modelTime, DpmSolver2S.Evaluation evaluation) {
    Pair p = evaluate(x, modelTime, evaluation);
    if (p.uncond == null) {
      return p.cond;
    }
    return p.uncond.add(p.cond.sub(p.uncond).mul(guidanceWeight));
  }

  /** The conditional and (if guided) unconditional outputs of one evaluation, each with its own cache. */
  public Pair evaluate(NDArray x, float modelTime, DpmSolver2S.Evaluation evaluation) {
    UnitPlan plan = solver.cachePlan(evaluation, schedule, model.units());
    float[] t = new float[labels.length];
    Arrays.fill(t, modelTime);
    NDArray cond = model.forward(x, t, labels, plan, condCache);
    NDArray uncond = guided() ? model.forward(x, t, nullLabels, plan, uncondCache) : null;
    return new Pair(cond, uncond);
  }

  @Override
  public void close() {
    condCache.close();
    uncondCache.close();
    cacheManager.close();
  }
}
