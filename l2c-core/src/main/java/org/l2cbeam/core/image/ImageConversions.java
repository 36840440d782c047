package org.l2cbeam.core.image;

/**
 * Samples to 8-bit image batches by the exact rules of the reference code, and the Fashion-MNIST
 * model-side layout.
 *
 * <p><b>DiT</b> ({@code sample.py}, {@code sample_ddp.py}): {@code clamp(127.5 * x + 128, 0, 255)}
 * then {@code .to(uint8)}, which truncates. The {@code +128} looks like an off-by-half next to the
 * "natural" {@code 127.5 x + 127.5}, but with truncation it is round-half-up of that value: -1 maps
 * to 0, +1 to 255, 0 to 128. It is kept bit-for-bit because FID is computed on exactly these bytes.
 *
 * <p><b>U-ViT</b> ({@code unpreprocess} then the save step): {@code v = clamp(0.5 (x + 1), 0, 1)},
 * then {@code clamp(255 v + 0.5, 0, 255)} truncated, i.e. round-half-up of {@code 255 v}.
 *
 * <p>The byte rules themselves live in {@link SampleQuantization} (float32, one rounding per
 * operation, as libtorch); this class returns them as {@link ImageBatch}es and adds the
 * Fashion-MNIST layout changes.
 */
public final class ImageConversions {
  private ImageConversions() {}

  /** DiT's rule ({@link SampleQuantization#DIT}) on NCHW float samples, as an NHWC batch. */
  public static ImageBatch fromDiT(float[] nchw, int n, int c, int h, int w) {
    return new ImageBatch(n, h, w, c, SampleQuantization.DIT.toNhwc(nchw, new long[] {n, c, h, w}));
  }

  /**
   * U-ViT's rule ({@link SampleQuantization#UVIT}) on NCHW float samples in [-1, 1], as an NHWC
   * batch.
   */
  public static ImageBatch fromUViT(float[] nchw, int n, int c, int h, int w) {
    return new ImageBatch(
        n, h, w, c, SampleQuantization.UVIT.toNhwc(nchw, new long[] {n, c, h, w}));
  }

  /**
   * {@code u8 / 127.5 - 1}, NCHW float32: the [-1, 1] input of the Fashion-MNIST DiT and feature
   * net.
   */
  public static float[] toSignedUnit(ImageBatch images) {
    int n = images.count();
    int h = images.height();
    int w = images.width();
    int c = images.channels();
    float[] out = new float[n * c * h * w];
    byte[] px = images.pixels();
    for (int i = 0; i < n; i++) {
      for (int y = 0; y < h; y++) {
        for (int x = 0; x < w; x++) {
          for (int ch = 0; ch < c; ch++) {
            out[((i * c + ch) * h + y) * w + x] =
                (px[((i * h + y) * w + x) * c + ch] & 0xff) / 127.5f - 1f;
          }
        }
      }
    }
    return out;
  }

  /**
   * Fashion-MNIST to the DiT's input: 28x28 images as [N, C, 28 + 2 pad, ...] floats in [-1, 1],
   * the border filled with -1 (black), so 28 becomes 32 with {@code pad = 2}.
   */
  public static float[] toSignedUnitPadded(ImageBatch images, int pad) {
    int n = images.count();
    int c = images.channels();
    int h = images.height();
    int w = images.width();
    int ph = h + 2 * pad;
    int pw = w + 2 * pad;
    float[] inner = toSignedUnit(images);
    float[] out = new float[n * c * ph * pw];
    java.util.Arrays.fill(out, -1f);
    for (int i = 0; i < n * c; i++) {
      for (int y = 0; y < h; y++) {
        System.arraycopy(inner, (i * h + y) * w, out, (i * ph + y + pad) * pw + pad, w);
      }
    }
    return out;
  }

  /**
   * The central {@code size x size} window: 32x32 Fashion-MNIST samples back to 28x28 (rows and
   * columns 2..29).
   */
  public static ImageBatch centerCrop(ImageBatch images, int size) {
    int h = images.height();
    int w = images.width();
    if (size > h || size > w) {
      throw new IllegalArgumentException(
          "cannot crop " + images.shapeString() + " to " + size + "x" + size);
    }
    int top = (h - size) / 2;
    int left = (w - size) / 2;
    int c = images.channels();
    byte[] src = images.pixels();
    byte[] out = new byte[images.count() * size * size * c];
    for (int i = 0; i < images.count(); i++) {
      for (int y = 0; y < size; y++) {
        System.arraycopy(
            src, ((i * h + top + y) * w + left) * c, out, ((i * size + y) * size) * c, size * c);
      }
    }
    return new ImageBatch(images.count(), size, size, c, out);
  }
}
