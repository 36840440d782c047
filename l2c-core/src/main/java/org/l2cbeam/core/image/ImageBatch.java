package org.l2cbeam.core.image;

import java.io.Serializable;
import java.util.Arrays;

/**
 * A batch of 8-bit images, NHWC, the layout of ADM's {@code arr_0} sample files and of decoded
 * PNGs. Plain Java (no DJL arrays), so it can travel as a pipeline element.
 */
public final class ImageBatch implements Serializable {
  private static final long serialVersionUID = 1L;

  private final int count;
  private final int height;
  private final int width;
  private final int channels;
  private final byte[] pixels;

  public ImageBatch(int count, int height, int width, int channels, byte[] pixels) {
    if (count < 0 || height <= 0 || width <= 0 || channels <= 0) {
      throw new IllegalArgumentException(
          "bad image batch shape [" + count + ", " + height + ", " + width + ", " + channels + "]");
    }
    long expected = (long) count * height * width * channels;
    if (pixels.length != expected) {
      throw new IllegalArgumentException(
          "image batch ["
              + count
              + ", "
              + height
              + ", "
              + width
              + ", "
              + channels
              + "] needs "
              + expected
              + " bytes, got "
              + pixels.length);
    }
    this.count = count;
    this.height = height;
    this.width = width;
    this.channels = channels;
    this.pixels = pixels;
  }

  public int count() {
    return count;
  }

  public int height() {
    return height;
  }

  public int width() {
    return width;
  }

  public int channels() {
    return channels;
  }

  public int imageBytes() {
    return height * width * channels;
  }

  /** The NHWC bytes (not copied: treat as read-only). */
  public byte[] pixels() {
    return pixels;
  }

  /** Pixel value 0..255. */
  public int get(int image, int y, int x, int channel) {
    return pixels[((image * height + y) * width + x) * channels + channel] & 0xff;
  }

  /** Images {@code from} (inclusive) to {@code to} (exclusive). */
  public ImageBatch slice(int from, int to) {
    if (from < 0 || to > count || from > to) {
      throw new IndexOutOfBoundsException(
          "slice [" + from + ", " + to + ") of " + count + " images");
    }
    int n = imageBytes();
    return new ImageBatch(
        to - from, height, width, channels, Arrays.copyOfRange(pixels, from * n, to * n));
  }

  /** "[N, H, W, C]" for messages. */
  public String shapeString() {
    return "[" + count + ", " + height + ", " + width + ", " + channels + "]";
  }

  @Override
  public boolean equals(Object o) {
    if (!(o instanceof ImageBatch)) return false;
    ImageBatch b = (ImageBatch) o;
    return count == b.count
        && height == b.height
        && width == b.width
        && channels == b.channels
        && Arrays.equals(pixels, b.pixels);
  }

  @Override
  public int hashCode() {
    return Arrays.hashCode(pixels);
  }

  @Override
  public String toString() {
    return "ImageBatch" + shapeString();
  }
}
