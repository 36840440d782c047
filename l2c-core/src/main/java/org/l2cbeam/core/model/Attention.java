package org.l2cbeam.core.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.jni.IValue;

/**
 * timm's {@code Attention} as DiT and U-ViT use it: {@code qkv} (rows ordered {@code [q; k; v]} ×
 * heads × head_dim), {@code softmax(q kᵀ / sqrt(head_dim)) v} per head, then {@code proj}. The two
 * families differ only in whether {@code qkv} has a bias and in where the original code applies the
 * scale, which changes float32 rounding on the plain path; the oneDNN path runs libtorch's fused
 * scaled-dot-product attention for both.
 */
final class Attention {
  /** Where the plain path applies {@code 1/sqrt(head_dim)}, following each original. */
  enum Scaling {
    /** DiT (timm, non-fused): {@code (q · s) kᵀ}. */
    QUERIES,
    /** U-ViT: {@code (q kᵀ) · s}. */
    SCORES
  }

  private final LinearLayer qkv;
  private final LinearLayer proj;
  private final int heads;
  private final Scaling scaling;
  private final BranchKernels kernels;
  private final boolean packed;

  /**
   * A tensor scalar, not a Number overload: autograd may save it for the backward pass, which
   * Number ops corrupt.
   */
  private final NDArray scale;

  private Attention(
      LinearLayer qkv,
      LinearLayer proj,
      int heads,
      int headDim,
      Scaling scaling,
      BranchKernels kernels,
      NDManager weights) {
    this.qkv = qkv;
    this.proj = proj;
    this.heads = heads;
    this.scaling = scaling;
    this.kernels = kernels;
    this.packed = qkv.isPacked() && proj.isPacked();
    this.scale = weights.full(new Shape(), (float) Math.pow(headDim, -0.5));
  }

  /**
   * DiT's attention ({@code <prefix>qkv.*}, {@code <prefix>proj.*}): qkv with bias, scaled queries.
   */
  static Attention dit(
      ParameterSource w,
      String prefix,
      int heads,
      int headDim,
      BranchKernels kernels,
      NDManager weights) {
    return new Attention(
        LinearLayer.load(w, prefix + "qkv.", true, kernels, weights),
        LinearLayer.load(w, prefix + "proj.", true, kernels, weights),
        heads,
        headDim,
        Scaling.QUERIES,
        kernels,
        weights);
  }

  /** U-ViT's attention: qkv without bias, scaled scores. */
  static Attention uvit(
      ParameterSource w,
      String prefix,
      int heads,
      int headDim,
      BranchKernels kernels,
      NDManager weights) {
    return new Attention(
        LinearLayer.load(w, prefix + "qkv.", false, kernels, weights),
        LinearLayer.load(w, prefix + "proj.", true, kernels, weights),
        heads,
        headDim,
        Scaling.SCORES,
        kernels,
        weights);
  }

  /**
   * True if both linears were packed (a layer whose packing failed its check runs the whole branch
   * plainly).
   */
  boolean isPacked() {
    return packed;
  }

  /** {@code x [B, T, D]} -> branch output {@code [B, T, D]} (after proj). */
  NDArray forward(NDArray x) {
    if (packed && kernels.fusedFor(x)) {
      try (IValue h = IValue.from((long) heads);
          IValue bf16 = IValue.from(kernels.precision() == Precision.BF16)) {
        FusedBranches.PackedLinear q = qkv.packed();
        FusedBranches.PackedLinear p = proj.packed();
        return kernels
            .fused()
            .call("attention", x, q.weight(), q.bias(), p.weight(), p.bias(), h, bf16);
      }
    }
    Shape s = x.getShape();
    long b = s.get(0);
    long t = s.get(1);
    long d = s.get(2);
    NDArray qkvOut =
        qkv.apply(x, kernels).reshape(b, t, 3, heads, d / heads).transpose(2, 0, 3, 1, 4);
    NDArray q = qkvOut.get(0);
    NDArray k = qkvOut.get(1);
    NDArray v = qkvOut.get(2);
    NDArray scores =
        scaling == Scaling.QUERIES
            ? q.mul(scale).matMul(k.transpose(0, 1, 3, 2))
            : q.matMul(k.transpose(0, 1, 3, 2)).mul(scale);
    NDArray out = scores.softmax(-1).matMul(v).transpose(0, 2, 1, 3).reshape(b, t, d);
    return proj.apply(out, kernels);
  }
}
