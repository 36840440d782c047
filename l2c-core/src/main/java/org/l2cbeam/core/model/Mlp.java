package org.l2cbeam.core.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.core.Linear;
import ai.djl.pytorch.jni.JniUtils;

/** timm's {@code Mlp} as DiT builds it: fc1 -> GELU(approximate="tanh") -> fc2. */
final class Mlp {
  private static final float SQRT_2_OVER_PI = (float) (Math.sqrt(2.0) * (2.0 / Math.sqrt(Math.PI)) * 0.5);
  private static final float KAPPA = 0.044715f;

  private final NDArray fc1W;
  private final NDArray fc1B;
  private final NDArray fc2W;
  private final NDArray fc2B;

  Mlp(ParameterSource w, String prefix, NDManager weights) {
    this.fc1W = w.load(prefix + "fc1.weight", weights);
    this.fc1B = w.load(prefix + "fc1.bias", weights);
    this.fc2W = w.load(prefix + "fc2.weight", weights);
    this.fc2B = w.load(prefix + "fc2.bias", weights);
  }

  /** {@code x [B, T, D]} -> branch output {@code [B, T, D]} (after fc2). */
  NDArray forward(NDArray x) {
    NDArray h = Linear.linear(x, fc1W, fc1B).singletonOrThrow();
    return Linear.linear(geluTanh(h), fc2W, fc2B).singletonOrThrow();
  }

  /**
   * {@code 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))}, as torch's tanh-approximate GELU; DJL has only the erf
   * form. Out-of-place, with tensor scalars, so it is safe under autograd.
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
   * The same values with two allocations instead of eight: in-place ops on fresh temporaries. Only without autograd
   * (in-place ops would break backward). Elementwise passes over the [B, T, 4D] activation are memory-bound, so this
   * matters for speed; multiplying by 0.5 last instead of first is exact, so the result is unchanged.
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
