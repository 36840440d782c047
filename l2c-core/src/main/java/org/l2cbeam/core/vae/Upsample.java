package org.l2cbeam.core.vae;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;

/**
 * Doubles H and W as LDM's {@code Upsample}: nearest-neighbour ×2 ({@code out[y,x] = in[y/2,
 * x/2]}), then a 3×3 conv.
 */
final class Upsample {
  private final ConvLayer conv;

  Upsample(VaeParameters params, String prefix, NDManager manager) {
    conv = ConvLayer.same3x3(params, prefix + ".conv", manager);
  }

  NDArray forward(NDArray x) {
    return CallScope.run(
        x,
        in -> {
          Shape s = in.getShape();
          long b = s.get(0), c = s.get(1), h = s.get(2), w = s.get(3);
          // Repeat every row and every column twice: broadcast unit axes, then fold them into H and
          // W.
          NDArray doubled =
              in.reshape(b, c, h, 1, w, 1).broadcast(b, c, h, 2, w, 2).reshape(b, c, 2 * h, 2 * w);
          return conv.forward(doubled);
        });
  }
}
