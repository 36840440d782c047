package org.l2cbeam.core.io;

import java.util.Locale;

/** Element types found in checkpoints, with their safetensors names and widths. */
public enum DType {
  F64(8),
  F32(4),
  F16(2),
  BF16(2),
  I64(8),
  I32(4),
  I16(2),
  I8(1),
  U8(1),
  BOOL(1);

  private final int bytes;

  DType(int bytes) {
    this.bytes = bytes;
  }

  public int bytes() {
    return bytes;
  }

  public boolean isFloating() {
    return this == F64 || this == F32 || this == F16 || this == BF16;
  }

  /**
   * True for the dtypes a model may take its weights and float inputs in: F32, and F16/BF16, which
   * are widened to float32 on load. F64 is not: it would reach libtorch as double and fail inside
   * the first matmul.
   */
  public boolean widensToFloat32() {
    return this == F32 || this == F16 || this == BF16;
  }

  /** The safetensors header name, e.g. {@code "F32"}. */
  public String safetensorsName() {
    return name();
  }

  /** Parses a safetensors dtype name; the error names the unknown dtype. */
  public static DType fromSafetensors(String name) {
    try {
      return DType.valueOf(name.toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("unknown dtype '" + name + "'");
    }
  }
}
