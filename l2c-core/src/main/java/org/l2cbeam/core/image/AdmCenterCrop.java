package org.l2cbeam.core.image;

/**
 * ADM's {@code center_crop_arr} (guided-diffusion {@code image_datasets.py}), which DiT's {@code
 * train.py}, L2C's {@code train_router.py} and U-ViT's ImageNet dataset apply to every training
 * image:
 *
 * <pre>
 * while min(w, h) >= 2*size:  image = image.resize((w // 2, h // 2), BOX)      # halve, averaging 2x2 blocks
 * scale = size / min(w, h);   image = image.resize((round(w*scale), round(h*scale)), BICUBIC)
 * crop the size x size square at ((h' - size) // 2, (w' - size) // 2)
 * </pre>
 *
 * So the short side becomes {@code size}, and images smaller than that are scaled up (ImageNet has
 * some). The resizes are Pillow's, bit for bit ({@link PilResample}); {@code round} is Python's,
 * which rounds half to even.
 */
public final class AdmCenterCrop {
  private AdmCenterCrop() {}

  /**
   * The {@code size × size} center crop of the single image in {@code image} ({@code [1, H, W,
   * C]}).
   */
  public static ImageBatch apply(ImageBatch image, int size) {
    if (image.count() != 1) {
      throw new IllegalArgumentException("center crop takes one image, got " + image.shapeString());
    }
    if (size < 1) throw new IllegalArgumentException("crop size must be at least 1, got " + size);
    int c = image.channels();
    int w = image.width();
    int h = image.height();
    byte[] pixels = image.pixels();
    while (Math.min(w, h) >= 2 * size) {
      pixels = PilResample.resize(pixels, w, h, c, w / 2, h / 2, PilResample.Filter.BOX);
      w /= 2;
      h /= 2;
    }
    double scale = (double) size / Math.min(w, h);
    int scaledW = (int) Math.rint(w * scale);
    int scaledH = (int) Math.rint(h * scale);
    pixels = PilResample.resize(pixels, w, h, c, scaledW, scaledH, PilResample.Filter.BICUBIC);
    int top = (scaledH - size) / 2;
    int left = (scaledW - size) / 2;
    byte[] out = new byte[size * size * c];
    for (int y = 0; y < size; y++) {
      System.arraycopy(pixels, ((top + y) * scaledW + left) * c, out, y * size * c, size * c);
    }
    return new ImageBatch(1, size, size, c, out);
  }
}
