package org.l2cbeam.core.image;

/**
 * Pillow's {@code Image.resize} of an 8-bit image (libImaging {@code Resample.c}), for the two
 * filters ADM's center crop uses. It is a separable convolution, horizontal pass first, then
 * vertical. Each pass rounds to uint8 through 22-bit fixed-point weights. The filter is stretched
 * by the downscaling factor, so downscaling averages (antialiases) instead of skipping pixels. The
 * original trains on exactly these pixels, so this follows Pillow's arithmetic step by step,
 * rounding included. Tested against Pillow 9.4 ({@code AdmCenterCropTest}).
 */
final class PilResample {
  /** The filter kernel and its support radius in input pixels at scale 1. */
  enum Filter {
    /** Box, support 0.5: a plain average; {@code Image.BOX}. */
    BOX(0.5),
    /** Keys' cubic convolution with a = -0.5, support 2; {@code Image.BICUBIC}. */
    BICUBIC(2.0);

    final double support;

    Filter(double support) {
      this.support = support;
    }

    double weight(double x) {
      if (this == BOX) {
        return x > -0.5 && x <= 0.5 ? 1.0 : 0.0;
      }
      double a = -0.5;
      double ax = Math.abs(x);
      if (ax < 1.0) return ((a + 2.0) * ax - (a + 3.0)) * ax * ax + 1;
      if (ax < 2.0) return (((ax - 5) * ax + 8) * ax - 4) * a;
      return 0.0;
    }
  }

  /**
   * 8 bits for the result; weights can be negative or sum above 1, hence two bits of headroom in an
   * int.
   */
  private static final int PRECISION_BITS = 32 - 8 - 2;

  private PilResample() {}

  /**
   * {@code image.resize((outWidth, outHeight), resample=filter)} of an HWC uint8 image. Like
   * Pillow, an axis whose size does not change is not filtered, and an unchanged size returns a
   * copy.
   */
  static byte[] resize(
      byte[] hwc, int width, int height, int channels, int outWidth, int outHeight, Filter filter) {
    if (outWidth < 1 || outHeight < 1) {
      throw new IllegalArgumentException("cannot resize to " + outWidth + "x" + outHeight);
    }
    byte[] image = hwc;
    if (outWidth != width) {
      image = horizontal(image, width, height, channels, Weights.of(width, outWidth, filter));
    }
    if (outHeight != height) {
      image = vertical(image, outWidth, height, channels, Weights.of(height, outHeight, filter));
    }
    return image == hwc ? hwc.clone() : image;
  }

  private static byte[] horizontal(byte[] in, int width, int height, int channels, Weights w) {
    int outWidth = w.outSize;
    byte[] out = new byte[outWidth * height * channels];
    for (int y = 0; y < height; y++) {
      int row = y * width;
      for (int xx = 0; xx < outWidth; xx++) {
        int first = w.first[xx];
        int k0 = xx * w.ksize;
        for (int c = 0; c < channels; c++) {
          int sum = 1 << (PRECISION_BITS - 1);
          for (int i = 0; i < w.count[xx]; i++) {
            sum += (in[(row + first + i) * channels + c] & 0xff) * w.fixed[k0 + i];
          }
          out[(y * outWidth + xx) * channels + c] = clip8(sum);
        }
      }
    }
    return out;
  }

  private static byte[] vertical(byte[] in, int width, int height, int channels, Weights w) {
    int outHeight = w.outSize;
    int rowBytes = width * channels;
    byte[] out = new byte[outHeight * rowBytes];
    for (int yy = 0; yy < outHeight; yy++) {
      int first = w.first[yy];
      int k0 = yy * w.ksize;
      for (int b = 0; b < rowBytes; b++) {
        int sum = 1 << (PRECISION_BITS - 1);
        for (int i = 0; i < w.count[yy]; i++) {
          sum += (in[(first + i) * rowBytes + b] & 0xff) * w.fixed[k0 + i];
        }
        out[yy * rowBytes + b] = clip8(sum);
      }
    }
    return out;
  }

  /** Pillow's {@code clip8}: drop the fraction bits (floor) and clamp to 0..255. */
  private static byte clip8(int sum) {
    return (byte) Math.max(0, Math.min(255, sum >> PRECISION_BITS));
  }

  /** Pillow's {@code precompute_coeffs} + {@code normalize_coeffs_8bpc} for one axis. */
  private static final class Weights {
    final int outSize;
    final int ksize;
    final int[] first;
    final int[] count;
    final int[] fixed;

    private Weights(int outSize, int ksize) {
      this.outSize = outSize;
      this.ksize = ksize;
      first = new int[outSize];
      count = new int[outSize];
      fixed = new int[outSize * ksize];
    }

    static Weights of(int inSize, int outSize, Filter filter) {
      double scale = (double) inSize / outSize;
      double filterScale = Math.max(scale, 1.0);
      double support = filter.support * filterScale;
      double inverseScale = 1.0 / filterScale;
      Weights w = new Weights(outSize, (int) Math.ceil(support) * 2 + 1);
      double[] k = new double[w.ksize];
      for (int xx = 0; xx < outSize; xx++) {
        double center = (xx + 0.5) * scale;
        // (int) truncates toward zero, as C's cast does, before the clamps.
        int xmin = Math.max(0, (int) (center - support + 0.5));
        int xmax = Math.min(inSize, (int) (center + support + 0.5)) - xmin;
        double total = 0.0;
        for (int x = 0; x < xmax; x++) {
          k[x] = filter.weight((x + xmin - center + 0.5) * inverseScale);
          total += k[x];
        }
        for (int x = 0; x < xmax; x++) {
          double v = total != 0.0 ? k[x] / total : k[x];
          double scaled = v * (1 << PRECISION_BITS);
          w.fixed[xx * w.ksize + x] = (int) (v < 0 ? scaled - 0.5 : scaled + 0.5);
        }
        w.first[xx] = xmin;
        w.count[xx] = Math.max(0, xmax);
      }
      return w;
    }
  }
}
