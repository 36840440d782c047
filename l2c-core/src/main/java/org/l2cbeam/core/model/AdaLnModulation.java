package org.l2cbeam.core.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.nn.core.Linear;

/**
 * A DiT block's adaLN-Zero modulation, {@code Linear_{D→6D}(SiLU(c)).chunk(6)} = (shift_msa,
 * scale_msa, gate_msa, shift_mlp, scale_mlp, gate_mlp), held as the row blocks of that one Linear
 * so that each part can be computed on its own. An L2C cache step still needs every branch's gate
 * (the reused contribution is {@code gate(c_now) * cached}), but a reused branch needs neither its
 * shift nor its scale: skipping them saves a third of the block's largest always-paid weight read.
 */
final class AdaLnModulation {
  /** The attention branch (chunks 0..2) and the MLP branch (chunks 3..5). */
  enum Branch {
    MSA,
    MLP
  }

  private final NDArray[] shiftScaleW = new NDArray[2];
  private final NDArray[] shiftScaleB = new NDArray[2];
  private final NDArray[] gateW = new NDArray[2];
  private final NDArray[] gateB = new NDArray[2];

  /**
   * Splits {@code weight [6D, D]} and {@code bias [6D]} (adaLN_modulation.1) into per-branch row
   * blocks.
   */
  AdaLnModulation(NDArray weight, NDArray bias, int hidden, NDManager weights) {
    for (Branch branch : Branch.values()) {
      int first = 3 * hidden * branch.ordinal();
      int i = branch.ordinal();
      shiftScaleW[i] = rows(weight, first, first + 2 * hidden, weights);
      shiftScaleB[i] = rows(bias, first, first + 2 * hidden, weights);
      gateW[i] = rows(weight, first + 2 * hidden, first + 3 * hidden, weights);
      gateB[i] = rows(bias, first + 2 * hidden, first + 3 * hidden, weights);
    }
    weight.close(); // the row blocks are contiguous copies: the whole matrix would be a second copy
    bias.close();
  }

  private static NDArray rows(NDArray a, int from, int to, NDManager weights) {
    NDArray view = a.get(new NDIndex("{}:{}", from, to));
    NDArray copy = view.duplicate();
    view.close();
    copy.attach(weights);
    return copy;
  }

  /** {@code (shift, scale)} of {@code branch}, each {@code [N, 1, D]} (broadcast over tokens). */
  NDList shiftScale(NDArray siluC, Branch branch) {
    int i = branch.ordinal();
    NDList parts =
        Linear.linear(siluC, shiftScaleW[i], shiftScaleB[i]).singletonOrThrow().split(2, 1);
    return new NDList(parts.get(0).expandDims(1), parts.get(1).expandDims(1));
  }

  /** The gate of {@code branch}, {@code [N, 1, D]}. */
  NDArray gate(NDArray siluC, Branch branch) {
    int i = branch.ordinal();
    return Linear.linear(siluC, gateW[i], gateB[i]).singletonOrThrow().expandDims(1);
  }

  /**
   * The whole modulation {@code [N, 6D]} in the original chunk order (for probes only: it computes
   * every part).
   */
  NDArray all(NDArray siluC) {
    NDList parts = new NDList();
    for (Branch branch : Branch.values()) {
      int i = branch.ordinal();
      parts.add(Linear.linear(siluC, shiftScaleW[i], shiftScaleB[i]).singletonOrThrow());
      parts.add(Linear.linear(siluC, gateW[i], gateB[i]).singletonOrThrow());
    }
    return NDArrays.concat(parts, 1);
  }
}
