package org.l2cbeam.core.diffusion;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.Arrays;
import org.l2cbeam.core.model.DiT;
import org.l2cbeam.core.model.DiTConfig;
import org.l2cbeam.core.model.ForwardProbe;
import org.l2cbeam.core.model.LayerCache;
import org.l2cbeam.core.model.UnitPlan;
import org.l2cbeam.core.router.CacheSchedule;
import org.l2cbeam.core.router.ModelFamily;

/**
 * Samples class-conditional latents from a DiT the way the original {@code sample.py} / {@code
 * sample_ddp.py} do, optionally with a static L2C cache schedule.
 *
 * <ul>
 *   <li>CFG (scale &gt; 1): the batch is doubled, {@code z = [z; z]}, {@code y = [labels; null]},
 *       one {@code forward_with_cfg} per step; the result keeps the conditional half.
 *   <li>L2C step pairing ({@link org.l2cbeam.core.router.StepPairing#plan}, DiT's rule): a step is
 *       a <em>cache step</em> iff its spaced index k is even and the step before it (k+1) was a
 *       full step that recorded the cache; the cache is dropped after the cache step. On a cache
 *       step, unit u is computed iff {@code schedule.computes(k, u)}; rows of full steps are
 *       ignored, as in the original. Both CFG halves share the one cache and decision.
 *   <li>Each step's model output is checked for NaN/Inf; on failure the step is replayed with a
 *       probe to name the first non-finite cache unit.
 * </ul>
 *
 * <p>Not thread-safe (it counts computed units per run): create one per thread; the {@link DiT}
 * itself may be shared.
 */
public final class DiTSampler {
  private final DiT dit;
  private final Sampler sampler;
  private final Guidance guidance;
  private final CacheSchedule schedule;
  private long unitsComputed;
  private long unitsTotal;

  /**
   * @param guidance null (or scale &lt;= 1) for no classifier-free guidance
   * @param schedule null for the plain sampler; otherwise rows are spaced indices k (row N-1 first
   *     to run)
   */
  public DiTSampler(DiT dit, Sampler sampler, Guidance guidance, CacheSchedule schedule) {
    this.dit = dit;
    this.sampler = sampler;
    this.guidance = guidance != null && guidance.scale() > 1.0 ? guidance : null;
    this.schedule = schedule;
    if (schedule != null) {
      schedule.checkFits(sampler.schedule().steps(), dit.units());
    }
    if (this.guidance != null) {
      this.guidance.guidedChannels(
          dit.config().inChannels); // fail early on 3-channel guidance of a small model
    }
  }

  /**
   * Samples from {@code z [n, C, H, W]} for {@code labels [n]}; returns {@code [n, C, H, W]} in
   * {@code z}'s manager. The listener sees the sampler's whole batch (doubled under CFG).
   */
  public NDArray sample(NDArray z, long[] labels, StepListener listener) {
    DiTConfig cfg = dit.config();
    Shape s = z.getShape();
    if (s.dimension() != 4
        || s.get(1) != cfg.inChannels
        || s.get(2) != cfg.inputSize
        || s.get(3) != cfg.inputSize) {
      throw new IllegalArgumentException(
          "initial latent z has shape "
              + Arrays.toString(s.getShape())
              + " but the model expects [n, "
              + cfg.inChannels
              + ", "
              + cfg.inputSize
              + ", "
              + cfg.inputSize
              + "]");
    }
    int n = Math.toIntExact(s.get(0));
    if (labels.length != n) {
      throw new IllegalArgumentException(labels.length + " labels for " + n + " initial latents");
    }
    dit.checkLabels(labels, false);
    long[] y = labels;
    NDManager outer = z.getManager();
    NDArray x = z;
    if (guidance != null) {
      y = Arrays.copyOf(labels, 2 * n);
      Arrays.fill(y, n, 2 * n, cfg.nullClass());
      x = z.concat(z, 0);
    }
    final long[] batchLabels = y;
    unitsComputed = 0;
    unitsTotal = 0;
    try (LayerCache cache = schedule == null ? null : new LayerCache(outer, dit.units())) {
      Denoiser denoiser = (xk, k, timestep) -> predict(xk, k, timestep, batchLabels, cache);
      NDArray out = sampler.sample(x, denoiser, listener);
      if (guidance == null) {
        return out;
      }
      NDArray cond = out.get("0:" + n);
      out.close();
      if (x != z) x.close();
      return cond;
    }
  }

  /** Fraction of cache units computed over the last run (1.0 for the plain sampler). */
  public double computedFraction() {
    return unitsTotal == 0 ? 1.0 : (double) unitsComputed / unitsTotal;
  }

  private NDArray predict(NDArray x, int k, int timestep, long[] labels, LayerCache cache) {
    NDManager m = x.getManager();
    long rows = x.getShape().get(0);
    long[] tv = new long[Math.toIntExact(rows)];
    Arrays.fill(tv, timestep);
    NDArray t = m.create(tv);
    NDArray y = m.create(labels);
    UnitPlan plan = planFor(k);
    NDArray out = forward(x, t, y, plan, cache, null);
    unitsComputed += plan.computedUnits();
    unitsTotal += plan.units();
    if (!NonFiniteOutputException.allFinite(out)) {
      throw diagnose(x, t, y, k, timestep, plan, cache);
    }
    if (cache != null && !plan.records()) {
      cache.clear(); // the cache lives for exactly one step after the full step that recorded it
    }
    return out;
  }

  /**
   * Step k's plan, by DiT's step pairing (schedule row k is spaced index k; one evaluation per
   * step).
   */
  private UnitPlan planFor(int k) {
    return ModelFamily.DIT.pairing().plan(k, 0, schedule, dit.units());
  }

  private NDArray forward(
      NDArray x, NDArray t, NDArray y, UnitPlan plan, LayerCache cache, ForwardProbe probe) {
    return guidance == null
        ? dit.forward(x, t, y, plan, cache, probe)
        : dit.forwardWithCfg(x, t, y, guidance, plan, cache, probe);
  }

  private NonFiniteOutputException diagnose(
      NDArray x, NDArray t, NDArray y, int k, int timestep, UnitPlan plan, LayerCache cache) {
    String where = "sampling step k=" + k + " (timestep " + timestep + ")";
    if (!NonFiniteOutputException.allFinite(x)) {
      return new NonFiniteOutputException("non-finite input latent at " + where, k, -1);
    }
    int[] first = {-1};
    String[] firstName = {null};
    ForwardProbe probe =
        (name, value) -> {
          if (firstName[0] == null && !NonFiniteOutputException.allFinite(value)) {
            firstName[0] = name;
            first[0] = ForwardProbe.unitOf(name);
          }
        };
    try (NDArray ignored = forward(x, t, y, plan, cache, probe)) {
      // replayed only for the probe
    }
    int unit = first[0];
    String detail;
    if (unit >= 0) {
      detail =
          "first non-finite values in cache unit "
              + unit
              + " (block "
              + unit / 2
              + " "
              + (unit % 2 == 0 ? "attention" : "MLP")
              + " branch"
              + (plan.mode(unit) == UnitPlan.Mode.REUSE ? ", reused from the cache" : "")
              + ")";
    } else if (firstName[0] != null) {
      detail = "first non-finite values in " + firstName[0] + " (outside the cache units)";
    } else {
      detail = "non-finite values appeared only after guidance";
    }
    return new NonFiniteOutputException(
        "NaN/Inf in the model output at " + where + ": " + detail, k, unit);
  }
}
