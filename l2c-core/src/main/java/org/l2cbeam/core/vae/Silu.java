package org.l2cbeam.core.vae;

import ai.djl.ndarray.NDArray;

/** SiLU, {@code x · sigmoid(x)} (LDM's nonlinearity, diffusers' nn.SiLU). */
final class Silu {
  private Silu() {}

  /** Overwrites {@code x}: it is always a fresh GroupNorm output that nothing else reads. */
  static NDArray applyInPlace(NDArray x) {
    try (NDArray gate = x.getNDArrayInternal().sigmoid()) {
      return x.muli(gate);
    }
  }
}
