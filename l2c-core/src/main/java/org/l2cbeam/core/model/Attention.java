package org.l2cbeam.core.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.core.Linear;

/**
 * timm's {@code Attention} as DiT uses it (qkv with bias, no q/k norm, non-fused math path): qkv rows ordered
 * {@code [q; k; v]} x heads x head_dim; {@code softmax((q * hd^-0.5) k^T) v}, then {@code proj}.
 */
final class Attention {
  private final int heads;
  private final int headDim;
  private final NDArray qkvW;
  private final NDArray qkvB;
  private final NDArray projW;
  private final NDArray projB;
  private final float scale;

  Attention(ParameterSource w, String prefix, int heads, int headDim, NDManager weights) {
    this.heads = heads;
    this.headDim = headDim;
    this.qkvW = w.load(prefix + "qkv.weight", weights);
    this.qkvB = w.load(prefix + "qkv.bias", weights);
    this.projW = w.load(prefix + "proj.weight", weights);
    this.projB = w.load(prefix + "proj.bias", weights);
    this.scale = (float) Math.pow(headDim, -0.5);
  }

  /** {@code x [B, T, D]} -> branch output {@code [B, T, D]} (after proj). */
  NDArray forward(NDArray x) {
    Shape s = x.getShape();
    long b = s.get(0);
    long t = s.get(1);
    long d = s.get(2);
    NDArray qkv =
        Linear.linear(x, qkvW, qkvB).singletonOrThrow().reshape(b, t, 3, heads, headDim).transpose(2, 0, 3, 1, 4);
    NDArray q = qkv.get(0);
    NDArray k = qkv.get(1);
    NDArray v = qkv.get(2);
    // A tensor scalar, not a Number overload: autograd may save it for the backward pass (platform-notes §3).
    NDArray scaleArr = x.getManager().full(new Shape(), scale);
    NDArray attn = q.mul(scaleArr).matMul(k.transpose(0, 1, 3, 2)).softmax(-1);
    NDArray out = attn.matMul(v).transpose(0, 2, 1, 3).reshape(b, t, d);
    return Linear.linear(out, projW, projB).singletonOrThrow();
  }
}
