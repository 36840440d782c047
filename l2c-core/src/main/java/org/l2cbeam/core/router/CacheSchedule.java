package org.l2cbeam.core.router;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * A static L2C cache schedule: for every sampling step and every cache unit, compute it or reuse
 * its output recorded at the previous full step. Row k is the step whose router is {@code p_k}
 * (DiT: the spaced index; U-ViT: the outer solver step). A unit may be reused only on a step where
 * the model's pairing rule provides a cache; full steps have all-true rows.
 */
public final class CacheSchedule {
  private final boolean[][] compute;
  private final int units;

  public CacheSchedule(boolean[][] compute) {
    if (compute.length == 0) {
      throw new IllegalArgumentException("a cache schedule needs at least one step");
    }
    this.units = compute[0].length;
    this.compute = new boolean[compute.length][];
    for (int k = 0; k < compute.length; k++) {
      if (compute[k].length != units) {
        throw new IllegalArgumentException(
            "step " + k + " has " + compute[k].length + " units, step 0 has " + units);
      }
      this.compute[k] = compute[k].clone();
    }
  }

  /** Every unit computed at every step: the plain sampler. */
  public static CacheSchedule allCompute(int steps, int units) {
    boolean[][] c = new boolean[steps][units];
    for (boolean[] row : c) Arrays.fill(row, true);
    return new CacheSchedule(c);
  }

  /**
   * This schedule mapped onto a model with {@code layers} layers of two units each (attention,
   * MLP), by relative position: layer ℓ takes the decisions of this schedule's layer ⌊ℓ·L/layers⌋.
   * It lets a benchmark run an official router's schedule on a smaller or larger model of the same
   * family; it is not a trained schedule for that model.
   */
  public CacheSchedule resampledToLayers(int layers) {
    if (units % 2 != 0) {
      throw new IllegalStateException(
          "a schedule of " + units + " units has no (attention, MLP) layer pairs");
    }
    if (layers < 1) throw new IllegalArgumentException("layers must be at least 1, got " + layers);
    int ownLayers = units / 2;
    if (layers == ownLayers) return this;
    boolean[][] c = new boolean[compute.length][2 * layers];
    for (int k = 0; k < c.length; k++) {
      for (int l = 0; l < layers; l++) {
        int src = l * ownLayers / layers;
        c[k][2 * l] = compute[k][2 * src];
        c[k][2 * l + 1] = compute[k][2 * src + 1];
      }
    }
    return new CacheSchedule(c);
  }

  public int steps() {
    return compute.length;
  }

  public int units() {
    return units;
  }

  public boolean computes(int step, int unit) {
    return compute[step][unit];
  }

  /** A copy of row {@code step}. */
  public boolean[] row(int step) {
    return compute[step].clone();
  }

  /** Number of computed units at {@code step}. */
  public int active(int step) {
    int n = 0;
    for (boolean b : compute[step]) if (b) n++;
    return n;
  }

  /** True if no unit is ever reused. */
  public boolean isAllCompute() {
    for (int k = 0; k < compute.length; k++) if (active(k) != units) return false;
    return true;
  }

  /** The mask of {@code step} as a bit string, '1' = computed, position u = unit u. */
  public String bits(int step) {
    StringBuilder sb = new StringBuilder(units);
    for (boolean b : compute[step]) sb.append(b ? '1' : '0');
    return sb.toString();
  }

  /**
   * One line per cache row of {@code pairing}, {@code k <row> active <computed>/<units> mask
   * <bits>}: how the CLI prints a schedule (rows that are always full say nothing a reader needs).
   */
  public List<String> cacheRowLines(StepPairing pairing) {
    List<String> lines = new ArrayList<>();
    for (int k = 0; k < steps(); k++) {
      if (pairing.isCacheRow(k, steps())) {
        lines.add(
            String.format(Locale.ROOT, "k %d active %d/%d mask %s", k, active(k), units, bits(k)));
      }
    }
    return lines;
  }

  /**
   * Fails with a clear message unless this schedule fits a sampler of {@code steps} steps and
   * {@code units} units.
   */
  public void checkFits(int steps, int units) {
    if (steps != steps() || units != units()) {
      throw new IllegalArgumentException(
          "cache schedule has "
              + steps()
              + " steps x "
              + units()
              + " units, but the sampler has "
              + steps
              + " steps and the model "
              + units
              + " units");
    }
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof CacheSchedule && Arrays.deepEquals(compute, ((CacheSchedule) o).compute);
  }

  @Override
  public int hashCode() {
    return Arrays.deepHashCode(compute);
  }
}
