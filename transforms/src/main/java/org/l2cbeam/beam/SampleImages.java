package org.l2cbeam.beam;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import javax.imageio.ImageIO;
import org.l2cbeam.core.io.AtomicFile;

/** Image samples gathered in order, as one NHWC uint8 block and as a PNG grid. */
final class SampleImages {
  private final int count;
  private final int height;
  private final int width;
  private final int channels;
  private final byte[] nhwc;

  private SampleImages(int count, int height, int width, int channels, byte[] nhwc) {
    this.count = count;
    this.height = height;
    this.width = width;
    this.channels = channels;
    this.nhwc = nhwc;
  }

  /** The images of {@code samples}, in list order; they must all be images of one shape. */
  static SampleImages of(List<GeneratedSample> samples) {
    if (samples.isEmpty()) {
      throw new IllegalArgumentException("no samples to write");
    }
    GeneratedSample first = samples.get(0);
    int per = first.channels() * first.height() * first.width();
    byte[] all = new byte[per * samples.size()];
    for (int i = 0; i < samples.size(); i++) {
      GeneratedSample s = samples.get(i);
      if (!s.isImage()) {
        throw new IllegalArgumentException("sample " + s.id() + " is a latent, not an image: decode it first");
      }
      if (s.channels() != first.channels() || s.height() != first.height() || s.width() != first.width()) {
        throw new IllegalArgumentException(
            "sample " + s.id() + " is " + s.channels() + "x" + s.height() + "x" + s.width() + ", sample "
                + first.id() + " is " + first.channels() + "x" + first.height() + "x" + first.width());
      }
      System.arraycopy(s.image(), 0, all, i * per, per);
    }
    return new SampleImages(samples.size(), first.height(), first.width(), first.channels(), all);
  }

  long[] nhwcShape() {
    return new long[] {count, height, width, channels};
  }

  byte[] nhwc() {
    return nhwc;
  }

  /** A grid, {@code columns} images per row, 2 px black padding; grey for 1 channel, RGB for 3. */
  void writePngGrid(Path target, int columns) throws IOException {
    int cols = Math.min(columns, count);
    int rows = (count + cols - 1) / cols;
    int pad = 2;
    BufferedImage grid = new BufferedImage(
        pad + cols * (width + pad), pad + rows * (height + pad), BufferedImage.TYPE_INT_RGB);
    for (int i = 0; i < count; i++) {
      int ox = pad + (i % cols) * (width + pad);
      int oy = pad + (i / cols) * (height + pad);
      for (int y = 0; y < height; y++) {
        for (int x = 0; x < width; x++) {
          int base = ((i * height + y) * width + x) * channels;
          int r = nhwc[base] & 0xff;
          int g = channels >= 3 ? nhwc[base + 1] & 0xff : r;
          int b = channels >= 3 ? nhwc[base + 2] & 0xff : r;
          grid.setRGB(ox + x, oy + y, (r << 16) | (g << 8) | b);
        }
      }
    }
    AtomicFile.write(target, out -> {
      if (!ImageIO.write(grid, "png", out)) throw new IOException("no PNG writer available");
    });
  }
}
