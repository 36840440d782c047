package org.l2cbeam.core.vae;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import org.l2cbeam.core.runtime.Contiguous;

/** A Conv2d with bias (cross-correlation, zero padding), weight [Co, Ci, k, k]. */
final class ConvLayer {
  private static final Shape NO_DILATION = new Shape(1, 1);

  private final NDArray weight;
  private final NDArray bias;
  private final Shape stride;
  private final Shape padding;

  private ConvLayer(NDArray weight, NDArray bias, int stride, int padding) {
    this.weight = weight;
    this.bias = bias;
    this.stride = new Shape(stride, stride);
    this.padding = new Shape(padding, padding);
  }

  /** 3×3, stride 1, pad 1: keeps the spatial size. */
  static ConvLayer same3x3(VaeParameters params, String prefix, NDManager manager) {
    return load(params, prefix, manager, 1, 1);
  }

  /** 1×1 (quant_conv, post_quant_conv, the residual shortcut). */
  static ConvLayer pointwise(VaeParameters params, String prefix, NDManager manager) {
    return load(params, prefix, manager, 1, 0);
  }

  static ConvLayer load(
      VaeParameters params, String prefix, NDManager manager, int stride, int padding) {
    return new ConvLayer(
        params.load(prefix + ".weight", manager),
        params.load(prefix + ".bias", manager),
        stride,
        padding);
  }

  NDArray forward(NDArray x) {
    NDArray in = Contiguous.of(x);
    return in.getNDArrayInternal()
        .convolution(in, weight, bias, stride, padding, NO_DILATION, 1)
        .singletonOrThrow();
  }
}
