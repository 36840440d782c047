package org.l2cbeam.pipelines.report;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNotNull;

import java.awt.Color;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;
import javax.imageio.ImageIO;

/** Reads a PNG back from disk and answers questions about its pixels. */
final class PngAssertions {
  private PngAssertions() {}

  static BufferedImage read(Path png, int width, int height) throws IOException {
    BufferedImage img = ImageIO.read(png.toFile());
    assertNotNull(png + " is not a readable PNG", img);
    assertEquals("width of " + png, width, img.getWidth());
    assertEquals("height of " + png, height, img.getHeight());
    return img;
  }

  static int distinctColors(BufferedImage img) {
    Set<Integer> colors = new HashSet<>();
    for (int y = 0; y < img.getHeight(); y++) {
      for (int x = 0; x < img.getWidth(); x++) {
        colors.add(img.getRGB(x, y) & 0xffffff);
      }
    }
    return colors.size();
  }

  /** Number of pixels of exactly this colour. */
  static int count(BufferedImage img, Color c) {
    int rgb = c.getRGB() & 0xffffff;
    int n = 0;
    for (int y = 0; y < img.getHeight(); y++) {
      for (int x = 0; x < img.getWidth(); x++) {
        if ((img.getRGB(x, y) & 0xffffff) == rgb) n++;
      }
    }
    return n;
  }
}
