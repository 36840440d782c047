package org.l2cbeam.core.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.norm.LayerNorm;

/**
 * One U-ViT block ({@code libs/uvit.py Block}): pre-LN, no adaLN and no gate; out-blocks first fuse
 * the long skip connection with {@code skip_linear(cat[x, skip])}, which is never cached.
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
  private final NDArray norm1W, norm1B, norm2W, norm2B;
  private final Attention attention;
  private final Mlp mlp;
  private final LinearLayer skipLinear; // null for in-blocks and the mid-block
  private final BranchKernels kernels;

  UViTBlock(
      UViTConfig cfg, int layer, ParameterSource w, BranchKernels kernels, NDManager weights) {
    this.layer = layer;
    this.kernels = kernels;
    String p = cfg.blockPrefix(layer);
    norm1W = w.load(p + "norm1.weight", weights);
    norm1B = w.load(p + "norm1.bias", weights);
    norm2W = w.load(p + "norm2.weight", weights);
    norm2B = w.load(p + "norm2.bias", weights);
    attention = Attention.uvit(w, p + "attn.", cfg.heads, cfg.hidden / cfg.heads, kernels, weights);
    mlp = new Mlp(w, p + "mlp.", Mlp.Gelu.ERF, kernels, weights);
    skipLinear =
        layer > cfg.halfDepth
            ? LinearLayer.load(w, p + "skip_linear.", true, kernels, weights)
            : null;
  }

  /** The block forward; {@code skip} is the matching in-block output for out-blocks, else null. */
  NDArray forward(NDArray x, NDArray skip, UnitExecutor units) {
    if (skipLinear != null) {
      x = skipLinear.apply(NDArrays.concat(new NDList(x, skip), -1), kernels);
    }
    final NDArray beforeAttention = x;
    NDArray att =
        units.run(2 * layer, () -> attention.forward(layerNorm(beforeAttention, norm1W, norm1B)));
    x = x.add(att);
    final NDArray beforeMlp = x;
    NDArray out = units.run(2 * layer + 1, () -> mlp.forward(layerNorm(beforeMlp, norm2W, norm2B)));
    return x.add(out);
  }

  private static NDArray layerNorm(NDArray x, NDArray weight, NDArray bias) {
    return LayerNorm.layerNorm(x, new Shape(x.getShape().get(2)), weight, bias, LN_EPS)
        .singletonOrThrow();
  }
}
