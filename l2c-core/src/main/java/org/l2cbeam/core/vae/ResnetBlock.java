package org.l2cbeam.core.vae;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;

/**
 * ResnetBlock(Cin → Cout) without time embedding (LDM {@code ResnetBlock}, diffusers {@code
 * ResnetBlock2D}). The 1×1 shortcut ({@code nin_shortcut} / {@code conv_shortcut}) exists iff Cin ≠
 * Cout.
 */
final class ResnetBlock {
  private final GroupNorm norm1;
  private final ConvLayer conv1;
  private final GroupNorm norm2;
  private final ConvLayer conv2;
  private final ConvLayer shortcut;

  ResnetBlock(
      VaeParameters params, String prefix, int inChannels, int outChannels, NDManager manager) {
    norm1 = GroupNorm.load(params, prefix + ".norm1", manager);
    conv1 = ConvLayer.same3x3(params, prefix + ".conv1", manager);
    norm2 = GroupNorm.load(params, prefix + ".norm2", manager);
    conv2 = ConvLayer.same3x3(params, prefix + ".conv2", manager);
    shortcut =
        inChannels == outChannels
            ? null
            : ConvLayer.pointwise(params, prefix + ".nin_shortcut", manager);
  }

  NDArray forward(NDArray x) {
    return CallScope.run(
        x,
        in -> {
          NDArray h = conv1.forward(Silu.applyInPlace(norm1.forward(in)));
          h = conv2.forward(Silu.applyInPlace(norm2.forward(h))); // dropout p = 0
          NDArray skip = shortcut == null ? in : shortcut.forward(in);
          return h.addi(skip);
        });
  }
}
