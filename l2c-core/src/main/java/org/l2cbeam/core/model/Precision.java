package org.l2cbeam.core.model;

import java.util.Locale;

/** The arithmetic of a model's transformer branches. */
public enum Precision {
  /** float32 everywhere: the reference numbers. The default. */
  FP32,
  /**
   * Opt-in: the branch GEMMs and attention in bfloat16 (weights cast and packed once, activations
   * cast inside the branch, outputs and the residual stream float32). About twice the float32 rate
   * on CPUs with AVX-512 BF16, at a relative error of a few 1e-3 per forward; its cost in FID is
   * measured in the README. Needs {@link Kernels#ONEDNN}.
   */
  BF16;

  /** Parses {@code fp32} or {@code bf16}; the error names {@code option}. */
  public static Precision parse(String value, String option) {
    try {
      return valueOf(value.trim().toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(option + " must be fp32 or bf16, got '" + value + "'");
    }
  }

  public String cliName() {
    return name().toLowerCase(Locale.ROOT);
  }
}
