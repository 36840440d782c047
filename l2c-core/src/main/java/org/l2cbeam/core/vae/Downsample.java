package org.l2cbeam.core.vae;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;

/**
 * Halves H and W as LDM's {@code Downsample}: zero-pad one row at the bottom and one column at the
 * right only, then a 3×3 stride-2 conv without padding. A symmetric pad gives the same shape but
 * different values.
 */
final class Downsample {
  /** torch.nn.functional.pad order: (left, right, top, bottom). */
  private static final Shape PAD_RIGHT_BOTTOM = new Shape(0, 1, 0, 1);

  private final ConvLayer conv;

  Downsample(VaeParameters params, String prefix, NDManager manager) {
    conv = ConvLayer.load(params, prefix + ".conv", manager, 2, 0);
  }

  NDArray forward(NDArray x) {
    return CallScope.run(x, in -> conv.forward(in.pad(PAD_RIGHT_BOTTOM, 0)));
  }
}
