package org.l2cbeam.core.vae;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.function.UnaryOperator;

/**
 * Runs one layer call in its own sub-manager, so its intermediates are freed on return and memory
 * stays flat: the input is attached to the scope only for the call, and the result is handed to the
 * input's own manager.
 */
final class CallScope {
  private CallScope() {}

  static NDArray run(NDArray input, UnaryOperator<NDArray> body) {
    NDManager owner = input.getManager();
    try (NDManager scope = owner.newSubManager()) {
      input.tempAttach(scope);
      NDArray out = body.apply(input);
      out.attach(owner);
      return out;
    }
  }
}
