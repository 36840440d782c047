package org.l2cbeam.core.image;

import java.util.Arrays;

/**
 * How the originals turn decoded images (float NCHW, roughly in [-1, 1]) into uint8 NHWC pixels for
 * their sample files and FID (docs/how-l2c-works.md, "Numerics"). Both compute in float32, one
 * elementwise op at a time, and the final cast truncates toward zero; Java's float arithmetic
 * reproduces each op bit for bit, so the bytes match exactly. The two rules agree except at exact
 * rounding ties (1 in 1536 values of the reference vector, by 1).
 */
public enum SampleQuantization {
  /** DiT {@code sample_ddp.py}: {@code clamp(127.5·x + 128, 0, 255).to(uint8)}. */
  DIT {
    @Override
    public int toByte(float x) {
      float v = 127.5f * x;
      v = v + 128.0f;
      return (int) clamp(v, 0f, 255f);
    }
  },
  /**
   * U-ViT {@code datasets.unpreprocess} then {@code utils.sample2npz}: {@code v = clamp(0.5·(x +
   * 1), 0, 1)}, then {@code clamp(v·255 + 0.5, 0, 255).to(uint8)}.
   */
  UVIT {
    @Override
    public int toByte(float x) {
      float v = x + 1.0f;
      v = 0.5f * v;
      v = clamp(v, 0f, 1f);
      v = v * 255f;
      v = v + 0.5f;
      return (int) clamp(v, 0f, 255f);
    }
  };

  /** One value to 0..255. NaN becomes 0 (torch leaves a NaN-to-uint8 cast platform-dependent). */
  public abstract int toByte(float x);

  /**
   * Float images [N, C, H, W] (row-major) to uint8 pixels [N, H, W, C]; bytes hold 0..255 (read
   * with {@code & 0xff}).
   */
  public byte[] toNhwc(float[] nchw, long[] shape) {
    if (shape.length != 4) {
      throw new IllegalArgumentException(
          "images must be [N, C, H, W], got " + Arrays.toString(shape));
    }
    int n = Math.toIntExact(shape[0]);
    int c = Math.toIntExact(shape[1]);
    int h = Math.toIntExact(shape[2]);
    int w = Math.toIntExact(shape[3]);
    if ((long) n * c * h * w != nchw.length) {
      throw new IllegalArgumentException(
          "images of shape "
              + Arrays.toString(shape)
              + " need "
              + (long) n * c * h * w
              + " values, got "
              + nchw.length);
    }
    byte[] out = new byte[nchw.length];
    int plane = h * w;
    for (int b = 0; b < n; b++) {
      for (int ch = 0; ch < c; ch++) {
        int src = (b * c + ch) * plane;
        for (int p = 0; p < plane; p++) {
          out[(b * plane + p) * c + ch] = (byte) toByte(nchw[src + p]);
        }
      }
    }
    return out;
  }

  /** torch.clamp semantics: NaN propagates (and then casts to 0). */
  private static float clamp(float v, float lo, float hi) {
    if (Float.isNaN(v)) return Float.NaN;
    return Math.min(Math.max(v, lo), hi);
  }
}
