package org.l2cbeam.core.vae;

import ai.djl.ndarray.NDArray;

/**
 * Sees named intermediate activations during a forward pass, named as in the parity vectors ({@code
 * enc.conv_in}, {@code enc.down.0}, {@code dec.mid.attn_1}, {@code dec.up.1}, ...). The array is
 * only valid during the call; copy what you keep.
 */
@FunctionalInterface
public interface ActivationProbe {
  ActivationProbe NONE = (name, activation) -> {};

  void record(String name, NDArray activation);
}
