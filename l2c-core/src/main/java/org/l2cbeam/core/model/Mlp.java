package org.l2cbeam.core.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.pytorch.jni.IValue;
import ai.djl.pytorch.jni.JniUtils;

/**
 * timm's {@code Mlp}: fc1 -> GELU -> fc2. DiT uses the tanh-approximate GELU, U-ViT the exact (erf)
 * one.
 */
final class Mlp {
  /** The GELU of each original. */
  enum Gelu {
    /** {@code GELU(approximate="tanh")}: DiT. */
    TANH("tanh"),
    /** {@code GELU()}, the erf form: U-ViT. */
    ERF("none");

    /** The name libtorch's {@code gelu(..., approximate=)} and oneDNN's fused epilogue take. */
    final String approximate;

    Gelu(String approximate) {
      this.approximate = approximate;
    }
  }

  private static final float SQRT_2_OVER_PI =
      (float) (Math.sqrt(2.0) * (2.0 / Math.sqrt(Math.PI)) * 0.5);
  private static final float KAPPA = 0.044715f;

  private final LinearLayer fc1;
  private final LinearLayer fc2;
  private final Gelu gelu;
  private final BranchKernels kernels;
  private final boolean packed;

  Mlp(ParameterSource w, String prefix, Gelu gelu, BranchKernels kernels, NDManager weights) {
    this.fc1 = LinearLayer.load(w, prefix + "fc1.", true, kernels, weights);
    this.fc2 = LinearLayer.load(w, prefix + "fc2.", true, kernels, weights);
    this.gelu = gelu;
    this.kernels = kernels;
    this.packed = fc1.isPacked() && fc2.isPacked();
  }

  /**
   * True if both linears were packed (a layer whose packing failed its check runs the whole branch
   * plainly).
   */
  boolean isPacked() {
    return packed;
  }

  /** {@code x [B, T, D]} -> branch output {@code [B, T, D]} (after fc2). */
  NDArray forward(NDArray x) {
    if (packed && kernels.fusedFor(x)) {
      try (IValue approximate = IValue.from(gelu.approximate);
          IValue bf16 = IValue.from(kernels.precision() == Precision.BF16)) {
        FusedBranches.PackedLinear a = fc1.packed();
        FusedBranches.PackedLinear b = fc2.packed();
        return kernels
            .fused()
            .call("mlp", x, a.weight(), a.bias(), b.weight(), b.bias(), approximate, bf16);
      }
    }
    NDArray h = fc1.apply(x, kernels);
    return fc2.apply(gelu == Gelu.TANH ? geluTanh(h) : Activation.gelu(h), kernels);
  }

  /**
   * {@code 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))}, as torch's tanh-approximate GELU; DJL
   * has only the erf form. Out-of-place, with tensor scalars, so it is safe under autograd.
   */
  static NDArray geluTanh(NDArray x) {
    if (!JniUtils.isGradMode()) {
      return geluTanhInference(x);
    }
    NDManager m = x.getManager();
    Shape scalar = new Shape();
    NDArray kappa = m.full(scalar, KAPPA);
    NDArray beta = m.full(scalar, SQRT_2_OVER_PI);
    NDArray half = m.full(scalar, 0.5f);
    NDArray one = m.full(scalar, 1f);
    NDArray cube = x.mul(x).mul(x);
    NDArray inner = x.add(cube.mul(kappa)).mul(beta);
    return x.mul(half).mul(inner.tanh().add(one));
  }

  /**
   * The same values with two allocations instead of eight: in-place ops on fresh temporaries. Only
   * without autograd (in-place ops would break backward). Elementwise passes over the [B, T, 4D]
   * activation are memory-bound, so this matters for speed; multiplying by 0.5 last instead of
   * first is exact, so the result is unchanged.
   */
  private static NDArray geluTanhInference(NDArray x) {
    NDManager m = x.getManager();
    Shape scalar = new Shape();
    NDArray inner = x.mul(x);
    inner.muli(x).muli(m.full(scalar, KAPPA)).addi(x).muli(m.full(scalar, SQRT_2_OVER_PI));
    NDArray out = inner.tanh();
    inner.close();
    return out.addi(m.full(scalar, 1f)).muli(x).muli(m.full(scalar, 0.5f));
  }
}
