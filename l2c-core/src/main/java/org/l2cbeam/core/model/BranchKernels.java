package org.l2cbeam.core.model;

import ai.djl.ndarray.NDArray;
import ai.djl.pytorch.jni.JniUtils;

/**
 * What one loaded model runs its branches on: the resolved {@link ModelExecution}, the oneDNN
 * module when that path is on, and the row count its weights are packed for (the rows of one CFG
 * pair of images: any count works, this one is the common case).
 */
final class BranchKernels {
  private final ModelExecution execution;
  private final FusedBranches fused; // null on the plain path
  private final long rows;

  private BranchKernels(ModelExecution execution, FusedBranches fused, long rows) {
    this.execution = execution;
    this.fused = fused;
    this.rows = rows;
  }

  static BranchKernels resolve(ModelExecution requested, long rows) {
    ModelExecution actual = FusedBranches.resolve(requested);
    return new BranchKernels(
        actual, actual.kernels() == Kernels.ONEDNN ? FusedBranches.get() : null, rows);
  }

  ModelExecution execution() {
    return execution;
  }

  boolean packs() {
    return fused != null;
  }

  FusedBranches fused() {
    return fused;
  }

  long rows() {
    return rows;
  }

  Precision precision() {
    return execution.precision();
  }

  /**
   * True if a branch on input {@code x} runs on the packed kernels: the oneDNN path is on and the
   * calling thread's grad mode is off. Packed oneDNN ops have no backward, so under autograd (the
   * router-training student) every branch runs on the dense weights; the teacher and the pre-step,
   * which training runs without grad, stay fast. (Grad mode rather than {@code x}'s own
   * requires-grad flag: libtorch 2.7.1 through DJL 0.36 reports {@code requires_grad()} false for
   * non-leaf results that do carry a grad_fn.)
   */
  boolean fusedFor(NDArray x) {
    return fused != null && !JniUtils.isGradMode();
  }
}
