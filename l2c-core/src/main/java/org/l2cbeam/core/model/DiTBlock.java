package org.l2cbeam.core.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.norm.LayerNorm;
import org.l2cbeam.core.model.AdaLnModulation.Branch;

/**
 * One adaLN-Zero DiT block with its two cache units: unit {@code 2i} is the attention branch,
 * {@code 2i+1} the MLP branch. What is cached is the branch output before the gate; the gate is
 * always recomputed from the current conditioning {@code c}, so a reused unit contributes {@code
 * gate(c_now) * cached}.
 */
final class DiTBlock {
  private static final float LN_EPS = 1e-6f;

  private final int index;
  private final int hidden;
  private final AdaLnModulation adaLN;
  private final NDArray lnOnes;
  private final NDArray lnZeros;
  private final Attention attn;
  private final Mlp mlp;

  DiTBlock(
      ParameterSource w,
      int index,
      DiTConfig cfg,
      NDArray lnOnes,
      NDArray lnZeros,
      BranchKernels kernels,
      NDManager weights) {
    String p = "blocks." + index + ".";
    this.index = index;
    this.hidden = cfg.hiddenSize;
    this.adaLN =
        new AdaLnModulation(
            w.load(p + "adaLN_modulation.1.weight", weights),
            w.load(p + "adaLN_modulation.1.bias", weights),
            cfg.hiddenSize,
            weights);
    this.lnOnes = lnOnes;
    this.lnZeros = lnZeros;
    this.attn = Attention.dit(w, p + "attn.", cfg.numHeads, cfg.headDim(), kernels, weights);
    this.mlp = new Mlp(w, p + "mlp.", Mlp.Gelu.TANH, kernels, weights);
  }

  /** How many of this block's two branches run on packed kernels (for tests and reports). */
  int packedBranches() {
    return (attn.isPacked() ? 1 : 0) + (mlp.isPacked() ? 1 : 0);
  }

  int attnUnit() {
    return 2 * index;
  }

  int mlpUnit() {
    return 2 * index + 1;
  }

  /**
   * {@code x [N, T, D]}, {@code siluC = SiLU(c) [N, D]} -> the block output. The executor decides
   * per unit whether the branch runs, is reused from the cache, or is mixed softly (see {@link
   * UnitPlan}). The adaLN chunks are computed where they are used: the gates always, each branch's
   * shift and scale only inside the branch, so a reused branch costs only its gate.
   */
  NDArray forward(NDArray x, NDArray siluC, UnitExecutor units, ForwardProbe probe) {
    if (probe != null) probe.observe("block" + index + ".adaLN", adaLN.all(siluC));

    NDArray gateMsa = adaLN.gate(siluC, Branch.MSA);
    NDArray attnOut =
        units.run(
            attnUnit(), () -> attn.forward(modulate(norm(x), adaLN.shiftScale(siluC, Branch.MSA))));
    if (probe != null) probe.observe("block" + index + ".attn_out", attnOut);
    NDArray x1 = x.add(gateMsa.mul(attnOut));

    NDArray gateMlp = adaLN.gate(siluC, Branch.MLP);
    NDArray mlpOut =
        units.run(
            mlpUnit(), () -> mlp.forward(modulate(norm(x1), adaLN.shiftScale(siluC, Branch.MLP))));
    if (probe != null) probe.observe("block" + index + ".mlp_out", mlpOut);
    NDArray x2 = x1.add(gateMlp.mul(mlpOut));
    if (probe != null) probe.observe("block" + index + ".out", x2);
    return x2;
  }

  /** LayerNorm without affine, eps 1e-6 (DJL needs explicit ones/zeros: a null affine throws). */
  NDArray norm(NDArray x) {
    return LayerNorm.layerNorm(x, new Shape(hidden), lnOnes, lnZeros, LN_EPS).singletonOrThrow();
  }

  /**
   * {@link #modulate} with {@code (shift, scale)} as {@link AdaLnModulation#shiftScale} returns
   * them.
   */
  private static NDArray modulate(NDArray x, NDList shiftScale) {
    return modulate(x, shiftScale.get(0), shiftScale.get(1));
  }

  /**
   * DiT's {@code modulate}: {@code x * (1 + scale) + shift}, scale/shift already broadcast over
   * tokens.
   */
  static NDArray modulate(NDArray x, NDArray shift, NDArray scale) {
    NDArray one = x.getManager().full(new Shape(), 1f);
    return x.mul(scale.add(one)).add(shift);
  }
}
