package org.l2cbeam.core.vae;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;

/**
 * GroupNorm(32 groups, eps 1e-6, affine) over NCHW, as LDM and diffusers build it. DJL has no
 * group-norm op, so the C channels are viewed as [B, 32, (C/32)·H·W] and layer-normalised over the
 * last axis (biased variance, per sample), then the per-channel affine is applied.
 */
final class GroupNorm {
  /** 1e-6 as in LDM and diffusers; 1e-5 moves the outputs by about the test tolerance. */
  static final float EPS = 1e-6f;

  private final NDArray gamma;
  private final NDArray beta;

  private GroupNorm(NDArray gamma, NDArray beta) {
    this.gamma = gamma;
    this.beta = beta;
  }

  static GroupNorm load(VaeParameters params, String prefix, NDManager manager) {
    try (NDArray w = params.load(prefix + ".weight", manager);
        NDArray b = params.load(prefix + ".bias", manager)) {
      long c = w.getShape().get(0);
      return new GroupNorm(w.reshape(1, c, 1, 1), b.reshape(1, c, 1, 1));
    }
  }

  NDArray forward(NDArray x) {
    Shape shape = x.getShape();
    long batch = shape.get(0);
    long perGroup = shape.size() / (batch * VaeConfig.GROUPS);
    NDManager m = x.getManager();
    NDArray grouped = x.reshape(batch, VaeConfig.GROUPS, perGroup);
    Shape normalized = new Shape(perGroup);
    // DJL's layerNorm needs an explicit affine (a null one throws); identity here, the real affine
    // is per channel.
    try (NDArray ones = m.ones(normalized);
        NDArray zeros = m.zeros(normalized)) {
      NDArray y =
          grouped
              .getNDArrayInternal()
              .layerNorm(grouped, normalized, ones, zeros, EPS)
              .singletonOrThrow();
      return y.reshape(shape).muli(gamma).addi(beta);
    }
  }
}
