package org.l2cbeam.core.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.Arrays;
import java.util.function.Supplier;

/**
 * What one forward call does with each cache unit (unit {@code 2i} = attention branch of block i,
 * {@code 2i+1} = its MLP branch). Model-independent: a DiT and a U-ViT read the same plan.
 *
 * <ul>
 *   <li>{@link Mode#COMPUTE}: run the branch; on a recording plan also store its output in the
 *       {@link LayerCache}.
 *   <li>{@link Mode#REUSE}: do not run the branch at all; use the output recorded at the last full
 *       step.
 *   <li>{@link Mode#SOFT}: run the branch and mix {@code beta*fresh + (1-beta)*cached} (router
 *       training; the mix is built from out-of-place ops so gradients reach {@code beta}).
 * </ul>
 */
public final class UnitPlan {
  public enum Mode {
    COMPUTE,
    REUSE,
    SOFT
  }

  private final Mode[] modes;
  private final boolean records;
  private final NDArray beta;

  private UnitPlan(Mode[] modes, boolean records, NDArray beta) {
    this.modes = modes;
    this.records = records;
    this.beta = beta;
  }

  /** Compute every unit, record nothing: the plain model. */
  public static UnitPlan computeAll(int units) {
    return new UnitPlan(filled(units, Mode.COMPUTE), false, null);
  }

  /**
   * An L2C full step: compute every unit and record every output into the cache (after clearing
   * it).
   */
  public static UnitPlan recordAll(int units) {
    return new UnitPlan(filled(units, Mode.COMPUTE), true, null);
  }

  /**
   * An L2C cache step with a hard mask: {@code compute[u]} true runs unit u, false reuses its
   * cached output without computing it. Nothing is recorded (the cache is dropped after a cache
   * step).
   */
  public static UnitPlan hard(boolean[] compute) {
    Mode[] m = new Mode[compute.length];
    for (int u = 0; u < m.length; u++) m[u] = compute[u] ? Mode.COMPUTE : Mode.REUSE;
    return new UnitPlan(m, false, null);
  }

  /**
   * The router-training forward: every unit mixed with weight {@code beta[u]} (shape {@code
   * [units]}, normally {@code sigmoid(p_k)}). {@code beta} should live in the caller's step scope;
   * it may require gradients.
   */
  public static UnitPlan soft(NDArray beta) {
    if (beta.getShape().dimension() != 1) {
      throw new IllegalArgumentException(
          "soft plan needs a 1-D beta [units], got shape " + beta.getShape());
    }
    int units = Math.toIntExact(beta.getShape().get(0));
    return new UnitPlan(filled(units, Mode.SOFT), false, beta);
  }

  private static Mode[] filled(int units, Mode mode) {
    if (units <= 0) {
      throw new IllegalArgumentException("a unit plan needs at least one unit, got " + units);
    }
    Mode[] m = new Mode[units];
    Arrays.fill(m, mode);
    return m;
  }

  public int units() {
    return modes.length;
  }

  public Mode mode(int unit) {
    return modes[unit];
  }

  /** True if computed unit outputs are stored in the cache (an L2C full step). */
  public boolean records() {
    return records;
  }

  /** True if any unit reads the cache (REUSE or SOFT). */
  public boolean readsCache() {
    for (Mode m : modes) if (m != Mode.COMPUTE) return true;
    return false;
  }

  /** Number of units that run their branch (COMPUTE or SOFT). */
  public int computedUnits() {
    int n = 0;
    for (Mode m : modes) if (m != Mode.REUSE) n++;
    return n;
  }

  /** The soft weights {@code [units]}; only for a {@link #soft} plan. */
  public NDArray beta() {
    if (beta == null) {
      throw new IllegalStateException("not a soft plan");
    }
    return beta;
  }

  /** Fails unless this plan is for a model with {@code units} units. */
  public void checkUnits(int units, String model) {
    if (modes.length != units) {
      throw new IllegalArgumentException(
          "unit plan has "
              + modes.length
              + " units but "
              + model
              + " has "
              + units
              + " cache units");
    }
  }

  /**
   * This plan bound to {@code cache}, as the {@link UnitExecutor} a model forward calls for each
   * unit (DiT and U-ViT alike). {@code cache} may be null for a plan that neither records nor
   * reads.
   */
  public UnitExecutor executor(LayerCache cache) {
    if (cache == null && (records || readsCache())) {
      throw new IllegalArgumentException("unit plan " + this + " needs a layer cache");
    }
    if (cache != null && cache.units() != modes.length) {
      throw new IllegalArgumentException(
          "layer cache has " + cache.units() + " units but the unit plan has " + modes.length);
    }
    if (records) {
      cache.clear();
    }
    return (unit, fresh) -> run(unit, cache, fresh);
  }

  /**
   * The output of cache unit {@code unit} under this plan: the one place where COMPUTE / REUSE /
   * SOFT are decided, for every model. {@code branch} computes the fresh branch output and is not
   * called for a reused unit. A REUSE result is owned by the cache (do not close it); use it as the
   * second operand of the next op so results stay in the caller's scope.
   */
  public NDArray run(int unit, LayerCache cache, Supplier<NDArray> branch) {
    switch (modes[unit]) {
      case COMPUTE:
        {
          NDArray out = branch.get();
          if (records) {
            cache.record(unit, out);
          }
          return out;
        }
      case REUSE:
        return requireCache(cache, unit).get(unit);
      case SOFT:
        {
          NDArray cached = requireCache(cache, unit).get(unit);
          NDArray fresh = branch.get();
          NDManager scope = fresh.getManager();
          // Tensor scalars and out-of-place ops only: this path is differentiated with respect to
          // beta.
          NDArray b = beta.get(unit);
          b.attach(scope);
          NDArray one = scope.full(new Shape(), 1f);
          NDArray keep = one.sub(b);
          // reuse*(1-beta) + fresh*beta, the operand order of the original router_models.py.
          return keep.mul(cached).add(b.mul(fresh));
        }
      default:
        throw new IllegalStateException(String.valueOf(modes[unit]));
    }
  }

  private static LayerCache requireCache(LayerCache cache, int unit) {
    if (cache == null) {
      throw new IllegalStateException(
          "unit " + unit + " reuses the cache, but no layer cache was given");
    }
    return cache;
  }

  @Override
  public String toString() {
    StringBuilder sb = new StringBuilder(records ? "record:" : "");
    for (Mode m : modes) sb.append(m == Mode.COMPUTE ? '1' : m == Mode.REUSE ? '0' : 's');
    return sb.toString();
  }
}
