package org.l2cbeam.core.vae;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import org.l2cbeam.core.runtime.Contiguous;

/**
 * The single-head self-attention of the mid blocks (LDM's AttnBlock), over the H·W pixels as
 * tokens, with residual. Projections are kept as Linear weights transposed once at load ({@code y =
 * x·Wᵀ + b}), which is the LDM 1×1 conv and the diffusers Linear alike.
 */
final class MidAttention {
  private final GroupNorm norm;
  private final NDArray qT;
  private final NDArray qBias;
  private final NDArray kT;
  private final NDArray kBias;
  private final NDArray vT;
  private final NDArray vBias;
  private final NDArray outT;
  private final NDArray outBias;

  MidAttention(VaeParameters params, String prefix, NDManager manager) {
    norm = GroupNorm.load(params, prefix + ".norm", manager);
    qT = transposedLinear(params, prefix + ".q.weight", manager);
    qBias = params.load(prefix + ".q.bias", manager);
    kT = transposedLinear(params, prefix + ".k.weight", manager);
    kBias = params.load(prefix + ".k.bias", manager);
    vT = transposedLinear(params, prefix + ".v.weight", manager);
    vBias = params.load(prefix + ".v.bias", manager);
    outT = transposedLinear(params, prefix + ".proj_out.weight", manager);
    outBias = params.load(prefix + ".proj_out.bias", manager);
  }

  private static NDArray transposedLinear(VaeParameters params, String key, NDManager manager) {
    try (NDArray w = params.load(key, manager)) {
      long c = w.getShape().get(0);
      try (NDArray matrix = w.reshape(c, c)) {
        return matrix.transpose().duplicate();
      }
    }
  }

  NDArray forward(NDArray x) {
    return CallScope.run(
        x,
        in -> {
          Shape shape = in.getShape();
          long batch = shape.get(0);
          long channels = shape.get(1);
          long pixels = shape.get(2) * shape.get(3);
          NDArray tokens =
              norm.forward(in).reshape(batch, channels, pixels).transpose(0, 2, 1); // [B, N, C]
          NDArray q = tokens.matMul(qT).addi(qBias);
          NDArray k = tokens.matMul(kT).addi(kBias);
          NDArray v = tokens.matMul(vT).addi(vBias);
          // scores[b, i, j]: query pixel i against key pixel j, softmax over the keys.
          NDArray scores = q.matMul(k.transpose(0, 2, 1)).muli(1.0 / Math.sqrt(channels));
          NDArray attended = scores.softmax(-1).matMul(v);
          NDArray projected = attended.matMul(outT).addi(outBias); // [B, N, C]
          // back to a dense NCHW image: the transposed view would reach the next conv as
          // channels-last
          return Contiguous.of(projected.transpose(0, 2, 1)).reshape(shape).addi(in);
        });
  }
}
