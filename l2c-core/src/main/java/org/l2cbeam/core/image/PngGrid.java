package org.l2cbeam.core.image;

import java.awt.image.BufferedImage;
import java.awt.image.WritableRaster;
import java.io.IOException;
import java.nio.file.Path;
import javax.imageio.ImageIO;
import org.l2cbeam.core.io.AtomicFile;

/**
 * Writes a batch as one PNG: {@code rows x cols} cells in row-major order, {@code padding} black
 * pixels between and around them (torchvision's {@code make_grid} layout, default padding 2). Grey
 * batches give a grey PNG, RGB batches an RGB PNG. Written atomically.
 */
public final class PngGrid {
  private PngGrid() {}

  public static void write(ImageBatch images, int rows, int cols, Path target) throws IOException {
    write(images, rows, cols, 2, target);
  }

  public static void write(ImageBatch images, int rows, int cols, int padding, Path target)
      throws IOException {
    AtomicFile.write(target, out -> write(images, rows, cols, padding, out));
  }

  /** The grid as PNG bytes on {@code out} (not closed). */
  public static void write(
      ImageBatch images, int rows, int cols, int padding, java.io.OutputStream out)
      throws IOException {
    if (!ImageIO.write(render(images, rows, cols, padding), "png", out)) {
      throw new IOException("no PNG writer available");
    }
  }

  public static BufferedImage render(ImageBatch images, int rows, int cols, int padding) {
    if (rows <= 0 || cols <= 0 || padding < 0) {
      throw new IllegalArgumentException(
          "bad grid " + rows + "x" + cols + " with padding " + padding);
    }
    if (images.count() > rows * cols) {
      throw new IllegalArgumentException(
          images.count() + " images do not fit a " + rows + "x" + cols + " grid");
    }
    int c = images.channels();
    if (c != 1 && c != 3) {
      throw new IllegalArgumentException(
          "PNG grids take grey (1) or RGB (3) images, got " + images.shapeString());
    }
    int h = images.height();
    int w = images.width();
    int gw = cols * (w + padding) + padding;
    int gh = rows * (h + padding) + padding;
    BufferedImage grid =
        new BufferedImage(
            gw, gh, c == 1 ? BufferedImage.TYPE_BYTE_GRAY : BufferedImage.TYPE_INT_RGB);
    WritableRaster raster = grid.getRaster();
    int[] pixel = new int[c];
    for (int i = 0; i < images.count(); i++) {
      int x0 = padding + (i % cols) * (w + padding);
      int y0 = padding + (i / cols) * (h + padding);
      for (int y = 0; y < h; y++) {
        for (int x = 0; x < w; x++) {
          for (int ch = 0; ch < c; ch++) pixel[ch] = images.get(i, y, x, ch);
          raster.setPixel(x0 + x, y0 + y, pixel);
        }
      }
    }
    return grid;
  }
}
