package org.l2cbeam.core.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.convolutional.Conv2d;
import org.l2cbeam.core.runtime.Contiguous;

/**
 * The way into and out of the token sequence, the same in DiT and U-ViT: a {@code p×p} convolution
 * with stride {@code p} turns an image {@code [B, C, H, W]} into {@code (H/p)·(W/p)} tokens of
 * width {@code D}, row by row; at the end, each token's {@code p·p·C'} predicted values are laid
 * back into the image ({@code unpatchify}). Only the weight names differ ({@code x_embedder.proj}
 * in DiT, {@code patch_embed.proj} in U-ViT).
 */
final class PatchEmbedding {
  private final NDArray weight;
  private final NDArray bias;
  private final int patchSize;
  private final int gridSize;

  /**
   * The convolution {@code <prefix>weight [D, C, p, p]} and {@code <prefix>bias [D]} over a {@code
   * grid×grid} grid.
   */
  PatchEmbedding(ParameterSource w, String prefix, int patchSize, int gridSize, NDManager weights) {
    this.weight = w.load(prefix + "weight", weights);
    this.bias = w.load(prefix + "bias", weights);
    this.patchSize = patchSize;
    this.gridSize = gridSize;
  }

  /**
   * {@code x [B, C, H, W]} -> tokens {@code [B, L, D]}. The convolution's result, and any
   * contiguous copy of {@code x} it needs (the input belongs to the caller), land in {@code scope}.
   */
  NDArray tokens(NDArray x, NDManager scope) {
    NDArray patches =
        Conv2d.conv2d(Contiguous.of(x, scope), weight, bias, new Shape(patchSize, patchSize))
            .singletonOrThrow();
    patches.attach(scope);
    return patches.flatten(2, 3).transpose(0, 2, 1);
  }

  /**
   * {@code tokens [B, L, p·p·C]} -> {@code [B, C, H, W]}: {@code einsum("nhwpqc->nchpwq")} then the
   * merge.
   */
  NDArray unpatchify(NDArray tokens, int channels) {
    long b = tokens.getShape().get(0);
    int g = gridSize;
    int p = patchSize;
    return tokens
        .reshape(b, g, g, p, p, channels)
        .transpose(0, 5, 1, 3, 2, 4)
        .reshape(b, channels, (long) g * p, (long) g * p);
  }
}
