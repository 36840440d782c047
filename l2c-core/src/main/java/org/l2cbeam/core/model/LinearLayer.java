package org.l2cbeam.core.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.core.Linear;

/**
 * One linear layer {@code y = x Wᵀ + b} of a transformer branch, with its weight held the way the
 * model's kernels want it: dense for the plain path, packed by oneDNN for the fast one. A packed
 * layer drops its dense weight (it would double the model's memory) and reloads it from the
 * checkpoint only if a plain computation is ever needed on it: router training, whose gradients
 * cannot flow through packed ops. Everything it holds, the packed weight included, belongs to the
 * model's weights manager and is freed with it.
 */
final class LinearLayer {
  private final ParameterSource source;
  private final String weightName;
  private final NDManager weights;
  private final NDArray bias; // null: no bias
  private final FusedBranches.PackedLinear packed; // null on the plain path
  private NDArray dense; // guarded by this; null while only packed

  private LinearLayer(
      ParameterSource source,
      String weightName,
      NDManager weights,
      NDArray dense,
      NDArray bias,
      FusedBranches.PackedLinear packed) {
    this.source = source;
    this.weightName = weightName;
    this.weights = weights;
    this.dense = dense;
    this.bias = bias;
    this.packed = packed;
  }

  /** {@code prefix + "weight"} and, if {@code hasBias}, {@code prefix + "bias"}. */
  static LinearLayer load(
      ParameterSource w, String prefix, boolean hasBias, BranchKernels kernels, NDManager weights) {
    String weightName = prefix + "weight";
    NDArray dense = w.load(weightName, weights);
    NDArray bias = hasBias ? w.load(prefix + "bias", weights) : null;
    if (!kernels.packs()) {
      return new LinearLayer(w, weightName, weights, dense, bias, null);
    }
    FusedBranches.PackedLinear packed =
        kernels.fused().pack(dense, bias, kernels.rows(), kernels.precision());
    if (packed == null) { // failed its check: this layer stays dense (the reason is logged)
      return new LinearLayer(w, weightName, weights, dense, bias, null);
    }
    weights.attachInternal(
        java.util.UUID.randomUUID().toString(), packed); // freed with the model's weights
    dense.close();
    return new LinearLayer(w, weightName, weights, null, bias, packed);
  }

  /** The packed weight, or null on the plain path (or where packing failed its check). */
  FusedBranches.PackedLinear packed() {
    return packed;
  }

  boolean isPacked() {
    return packed != null;
  }

  /**
   * {@code x Wᵀ + b}: packed where the kernels allow it for {@code x}, else on the dense weight.
   */
  NDArray apply(NDArray x, BranchKernels kernels) {
    if (packed != null && kernels.fusedFor(x)) return packed.apply(x);
    return bias == null
        ? Linear.linear(x, denseWeight()).singletonOrThrow()
        : Linear.linear(x, denseWeight(), bias).singletonOrThrow();
  }

  /** The dense weight, reloaded from the checkpoint the first time a packed layer needs it. */
  synchronized NDArray denseWeight() {
    if (dense == null) dense = source.load(weightName, weights);
    return dense;
  }

  NDArray bias() {
    return bias;
  }
}
