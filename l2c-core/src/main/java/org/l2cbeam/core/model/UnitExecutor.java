package org.l2cbeam.core.model;

import ai.djl.ndarray.NDArray;
import java.util.function.Supplier;

/**
 * Runs one L2C cache unit (an attention or MLP branch of a transformer block) on behalf of a model
 * forward. The model only says which unit it is at and how to compute it fresh; the executor
 * decides whether to compute it, reuse the output recorded at the last full step, or blend both
 * with a router weight, and whether to record the result. The returned tensor is exactly what the
 * model adds to the residual stream.
 */
@FunctionalInterface
public interface UnitExecutor {
  /**
   * @param unit cache unit index: {@code 2ℓ} = attention of layer ℓ, {@code 2ℓ+1} = its MLP
   * @param fresh computes the branch output from the current residual stream
   */
  NDArray run(int unit, Supplier<NDArray> fresh);

  /** Every unit computed, nothing recorded: the plain model. */
  UnitExecutor COMPUTE_ALL = (unit, fresh) -> fresh.get();
}
