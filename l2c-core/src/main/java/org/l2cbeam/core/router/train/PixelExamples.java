package org.l2cbeam.core.router.train;

import org.l2cbeam.core.image.ImageBatch;

/**
 * uint8 images as the input of a pixel-space DiT: {@code u8 / 127.5 - 1} in [-1, 1], channels
 * first, optionally padded on every side with -1 (the background). The bundled Fashion-MNIST DiT's
 * model card asks for exactly this: 28x28 images padded 2 pixels each side to 32x32.
 */
public final class PixelExamples implements TrainingExamples {
  private final ImageBatch images;
  private final byte[] labels;
  private final int pad;
  private final String source;
  private String fingerprint;

  /**
   * @param images {@code [N, H, W, C]} uint8
   * @param labels one unsigned byte per image
   * @param pad pixels of -1 added on each side
   */
  public PixelExamples(ImageBatch images, byte[] labels, int pad, String source) {
    if (labels.length != images.count()) {
      throw new IllegalArgumentException(
          source + ": " + images.count() + " images but " + labels.length + " labels");
    }
    if (pad < 0) throw new IllegalArgumentException("padding must be >= 0, got " + pad);
    this.images = images;
    this.labels = labels;
    this.pad = pad;
    this.source = source;
  }

  @Override
  public int size() {
    return images.count();
  }

  @Override
  public int[] exampleShape() {
    return new int[] {images.channels(), images.height() + 2 * pad, images.width() + 2 * pad};
  }

  @Override
  public void copyExample(int index, float[] dst, int offset) {
    int c = images.channels();
    int h = images.height();
    int w = images.width();
    int outH = h + 2 * pad;
    int outW = w + 2 * pad;
    java.util.Arrays.fill(dst, offset, offset + c * outH * outW, -1f);
    for (int ch = 0; ch < c; ch++) {
      for (int y = 0; y < h; y++) {
        for (int x = 0; x < w; x++) {
          float v = images.get(index, y, x, ch) / 127.5f - 1f;
          dst[offset + (ch * outH + y + pad) * outW + x + pad] = v;
        }
      }
    }
  }

  @Override
  public int label(int index) {
    return labels[index] & 0xff;
  }

  @Override
  public synchronized String fingerprint() {
    if (fingerprint == null) {
      fingerprint =
          new ContentFingerprint()
              .add(
                  (images.shapeString() + "|pad " + pad + "\n")
                      .getBytes(java.nio.charset.StandardCharsets.UTF_8))
              .add(images.pixels())
              .add(labels)
              .hex();
    }
    return fingerprint;
  }

  @Override
  public String source() {
    return source;
  }
}
