package org.l2cbeam.core.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.core.Linear;
import ai.djl.nn.norm.LayerNorm;

/**
 * One U-ViT block ({@code libs/uvit.py Block}): pre-LN, no adaLN and no gate; out-blocks first fuse the long skip
 * connection with {@code skip_linear(cat[x, skip])}, which is never cached.
 *
 * <pre>
 *   x   = skip_linear(cat[x, skip])          (out-blocks only)
 *   att = Attn(LN1(x));  x = x + att         (cache unit 2ℓ)
 *   mlp = MLP(LN2(x));   x = x + mlp         (cache unit 2ℓ+1)
 * </pre>
 */
final class UViTBlock {
  private static final float LN_EPS = 1e-5f;

  private final int layer;
  private final int heads;
  private final NDArray norm1W, norm1B, qkvW, projW, projB, norm2W, norm2B, fc1W, fc1B, fc2W, fc2B;
  private final NDArray skipW, skipB; // null for in-blocks and the mid-block
  /** 1/sqrt(head dim), a torch-owned constant: Number-overload ops would corrupt router gradients. */
  private final NDArray attentionScale;

  UViTBlock(UViTConfig cfg, int layer, UViT.WeightSource w, NDManager weights) {
    this.layer = layer;
    this.heads = cfg.heads;
    String p = cfg.blockPrefix(layer);
    norm1W = w.load(p + "norm1.weight", weights);
    norm1B = w.load(p + "norm1.bias", weights);
    qkvW = w.load(p + "attn.qkv.weight", weights);
    projW = w.load(p + "attn.proj.weight", weights);
    projB = w.load(p + "attn.proj.bias", weights);
    norm2W = w.load(p + "norm2.weight", weights);
    norm2B = w.load(p + "norm2.bias", weights);
    fc1W = w.load(p + "mlp.fc1.weight", weights);
    fc1B = w.load(p + "mlp.fc1.bias", weights);
    fc2W = w.load(p + "mlp.fc2.weight", weights);
    fc2B = w.load(p + "mlp.fc2.bias", weights);
    boolean out = layer > cfg.halfDepth;
    skipW = out ? w.load(p + "skip_linear.weight", weights) : null;
    skipB = out ? w.load(p + "skip_linear.bias", weights) : null;
    float scale = (float) Math.pow(cfg.hidden / cfg.heads, -0.5);
    try (NDArray blob = weights.create(scale)) {
      attentionScale = blob.duplicate();
    }
  }

  /** The block forward; {@code skip} is the matching in-block output for out-blocks, else null. */
  NDArray forward(NDArray x, NDArray skip, UnitExecutor units) {
    if (skipW != null) {
      x = Linear.linear(NDArrays.concat(new ai.djl.ndarray.NDList(x, skip), -1), skipW, skipB).singletonOrThrow();
    }
    final NDArray beforeAttention = x;
    NDArray att = units.run(2 * layer, () -> attention(layerNorm(beforeAttention, norm1W, norm1B)));
    x = x.add(att);
    final NDArray beforeMlp = x;
    NDArray mlp = units.run(2 * layer + 1, () -> mlp(layerNorm(beforeMlp, norm2W, norm2B)));
    return x.add(mlp);
  }

  private static NDArray layerNorm(NDArray x, NDArray weight, NDArray bias) {
    return LayerNorm.layerNorm(x, new Shape(x.getShape().get(2)), weight, bias, LN_EPS).singletonOrThrow();
  }

  /** timm-style attention, "math" mode: softmax(q kᵀ · scale) v; qkv has no bias, rows laid out (3, heads, dim). */
  private NDArray attention(NDArray x) {
    Shape s = x.getShape();
    long b = s.get(0), l = s.get(1), c = s.get(2);
    NDArray qkv = Linear.linear(x, qkvW).singletonOrThrow().reshape(b, l, 3, heads, c / heads).transpose(2, 0, 3, 1, 4);
    NDArray q = qkv.get(0);
    NDArray k = qkv.get(1);
    NDArray v = qkv.get(2);
    NDArray attn = q.matMul(k.swapAxes(-2, -1)).mul(attentionScale).softmax(-1);
    NDArray o = attn.matMul(v).swapAxes(1, 2).reshape(b, l, c);
    return Linear.linear(o, projW, projB).singletonOrThrow();
  }

  /** fc1 → exact (erf) GELU → fc2. */
  private NDArray mlp(NDArray x) {
    NDArray h = Activation.gelu(Linear.linear(x, fc1W, fc1B).singletonOrThrow());
    return Linear.linear(h, fc2W, fc2B).singletonOrThrow();
  }
}
