package org.l2cbeam.core.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.core.Linear;
import ai.djl.nn.norm.LayerNorm;

/**
 * DiT's {@code FinalLayer}: {@code (shift, scale) = adaLN(SiLU(c))}, then {@code
 * linear(modulate(norm(x), shift, scale))}, from the hidden width to each token's {@code p·p·C'}
 * predicted values. The norm is the blocks' (no affine, eps 1e-6). Never cached: it runs at every
 * step.
 */
final class FinalLayer {
  private static final float LN_EPS = 1e-6f;

  private final NDArray adaW;
  private final NDArray adaB;
  private final NDArray linearW;
  private final NDArray linearB;
  private final NDArray lnOnes;
  private final NDArray lnZeros;
  private final int hidden;

  FinalLayer(ParameterSource w, int hidden, NDArray lnOnes, NDArray lnZeros, NDManager weights) {
    this.adaW = w.load("final_layer.adaLN_modulation.1.weight", weights);
    this.adaB = w.load("final_layer.adaLN_modulation.1.bias", weights);
    this.linearW = w.load("final_layer.linear.weight", weights);
    this.linearB = w.load("final_layer.linear.bias", weights);
    this.hidden = hidden;
    this.lnOnes = lnOnes;
    this.lnZeros = lnZeros;
  }

  /** {@code x [N, T, D]}, {@code siluC = SiLU(c) [N, D]} -> {@code [N, T, p·p·C']}. */
  NDArray forward(NDArray x, NDArray siluC) {
    NDList mod = Linear.linear(siluC, adaW, adaB).singletonOrThrow().split(2, 1);
    NDArray shift = mod.get(0).expandDims(1);
    NDArray scale = mod.get(1).expandDims(1);
    NDArray normed =
        LayerNorm.layerNorm(x, new Shape(hidden), lnOnes, lnZeros, LN_EPS).singletonOrThrow();
    return Linear.linear(DiTBlock.modulate(normed, shift, scale), linearW, linearB)
        .singletonOrThrow();
  }
}
