package org.l2cbeam.core.model;

import java.util.Locale;

/**
 * How a model's big linear layers and attention run. Both give the same numbers within float32
 * rounding (the parity tests run on both); they differ in speed and in what they support.
 */
public enum Kernels {
  /**
   * oneDNN inner products on weights packed once at load ({@code mkldnn::_reorder_linear_weight},
   * then {@code mkldnn::_linear_pointwise}), fused scaled-dot-product attention and a GELU fused
   * into fc1, each branch one call of a TorchScript module that the project compiles from its own
   * source text. About 2× the plain path's GEMM rate on CPUs where libtorch's bundled MKL does not
   * take its AVX-512 path (AMD Zen 4/5). The default.
   */
  ONEDNN,
  /**
   * DJL NDArray ops (MKL GEMMs, attention as matmul-softmax-matmul). The reference, and what
   * autograd runs through.
   */
  PLAIN;

  /**
   * Parses a command-line or pipeline-option value ({@code onednn} or {@code plain}); the error
   * names {@code option}.
   */
  public static Kernels parse(String value, String option) {
    try {
      return valueOf(value.trim().toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(option + " must be onednn or plain, got '" + value + "'");
    }
  }

  public String cliName() {
    return name().toLowerCase(Locale.ROOT);
  }
}
