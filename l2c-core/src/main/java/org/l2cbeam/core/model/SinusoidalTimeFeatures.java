package org.l2cbeam.core.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;

/**
 * The sinusoidal timestep features both families start from ({@code timestep_embedding} in DiT and
 * in U-ViT, the same function in both): for a time {@code t} and an even width {@code D}, the row
 * {@code [cos(t·f_j), sin(t·f_j)]}, {@code j < D/2}, with {@code f_j = exp(−ln(10000)·j/(D/2))}.
 * DiT feeds 256 of them through its time MLP ({@link TimestepEmbedder}); U-ViT uses them at its
 * hidden width, unchanged, as the time token.
 *
 * <p>Computed on the host, in the original's float32 steps ({@code −ln(10000)·j}, then {@code
 * /(D/2)}, then the product {@code t·f_j}), with exp, cos and sin evaluated in double and rounded
 * once to float. libtorch's vectorised float32 exp is one ulp off for some {@code j} on this
 * machine, and at {@code t} near 1000 one ulp of {@code f_j} moves {@code cos(t·f_j)} by up to
 * 3e-5; the once-rounded values agree twice as closely with the original's features (DiT 1.3e-5 of
 * the largest value instead of 2.7e-5, U-ViT 3.5e-6 instead of 3.0e-5). The features are a few
 * hundred numbers per image, so where they are computed costs nothing measurable.
 */
final class SinusoidalTimeFeatures {
  private static final float NEG_LOG_MAX_PERIOD = (float) -Math.log(10000);

  private final int width;
  private final float[] frequencies;

  /**
   * Features of {@code width} values per time; fails on an odd width, naming {@code what} the width
   * belongs to.
   */
  SinusoidalTimeFeatures(int width, String what) {
    if (width <= 0 || width % 2 != 0) {
      throw new IllegalArgumentException(
          what + " must be positive and even for the sinusoidal time features, got " + width);
    }
    this.width = width;
    int half = width / 2;
    this.frequencies = new float[half];
    for (int j = 0; j < half; j++) frequencies[j] = (float) Math.exp(NEG_LOG_MAX_PERIOD * j / half);
  }

  int width() {
    return width;
  }

  /** The features of each time, row after row: {@code times.length × width} values. */
  float[] of(float[] times) {
    int half = frequencies.length;
    float[] out = new float[times.length * width];
    for (int i = 0; i < times.length; i++) {
      int row = i * width;
      for (int j = 0; j < half; j++) {
        float arg = times[i] * frequencies[j];
        out[row + j] = (float) Math.cos(arg);
        out[row + half + j] = (float) Math.sin(arg);
      }
    }
    return out;
  }

  /** The features as a float32 tensor {@code [N, width]} of {@code manager} (and on its device). */
  NDArray of(float[] times, NDManager manager) {
    return manager.create(of(times), new Shape(times.length, width));
  }
}
