package org.l2cbeam.core.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;

/**
 * The L2C layer cache: the output of every cache unit recorded at the last full step (DiT: the
 * branch output before the adaLN gate; U-ViT: the residual increment). Entries are owned by the
 * cache's own sub-manager, so they survive the step scope that produced them and are freed by
 * {@link #clear} or {@link #close}.
 *
 * <p>Lifecycle (docs/how-l2c-works.md, "The idea"): cleared at the start of every full step, filled
 * by that step, read by the next step only. For classifier-free guidance a DiT keeps ONE cache for
 * the doubled batch; a U-ViT keeps one per half.
 */
public final class LayerCache implements AutoCloseable {
  private final NDManager manager;
  private final NDArray[] outputs;

  /** An empty cache for {@code units} units whose entries live under {@code parent}. */
  public LayerCache(NDManager parent, int units) {
    if (units <= 0) {
      throw new IllegalArgumentException("a layer cache needs at least one unit, got " + units);
    }
    this.manager = parent.newSubManager();
    this.outputs = new NDArray[units];
  }

  public int units() {
    return outputs.length;
  }

  /**
   * Stores (or overwrites) unit {@code u}'s output; the array is moved into the cache's manager.
   */
  public void record(int unit, NDArray output) {
    NDArray old = outputs[unit];
    output.attach(manager);
    outputs[unit] = output;
    if (old != null && old != output) {
      old.close();
    }
  }

  public boolean has(int unit) {
    return outputs[unit] != null;
  }

  /** True if every unit has a recorded output (the state after a full step). */
  public boolean isFull() {
    for (NDArray a : outputs) if (a == null) return false;
    return true;
  }

  public boolean isEmpty() {
    for (NDArray a : outputs) if (a != null) return false;
    return true;
  }

  /** The recorded output of {@code unit}; owned by the cache, do not close it. */
  public NDArray get(int unit) {
    NDArray a = outputs[unit];
    if (a == null) {
      throw new IllegalStateException(
          "cache unit " + unit + " has no recorded output: a cache step must follow a full step");
    }
    return a;
  }

  /** Drops every entry and frees its memory. */
  public void clear() {
    for (int u = 0; u < outputs.length; u++) {
      if (outputs[u] != null) {
        outputs[u].close();
        outputs[u] = null;
      }
    }
  }

  @Override
  public void close() {
    clear();
    manager.close();
  }
}
