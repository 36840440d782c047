package org.l2cbeam.beam;

import java.io.IOException;
import java.util.List;
import org.l2cbeam.core.image.ImageBatch;
import org.l2cbeam.core.image.PngGrid;

/** Image samples gathered in order, as one NHWC uint8 block and as a PNG grid. */
public final class SampleImages {
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
  public static SampleImages of(List<GeneratedSample> samples) {
    if (samples.isEmpty()) {
      throw new IllegalArgumentException("no samples to write");
    }
    GeneratedSample first = samples.get(0);
    int per = first.channels() * first.height() * first.width();
    byte[] all = new byte[per * samples.size()];
    for (int i = 0; i < samples.size(); i++) {
      GeneratedSample s = samples.get(i);
      if (!s.isImage()) {
        throw new IllegalArgumentException(
            "sample " + s.id() + " is a latent, not an image: decode it first");
      }
      if (s.channels() != first.channels()
          || s.height() != first.height()
          || s.width() != first.width()) {
        throw new IllegalArgumentException(
            "sample "
                + s.id()
                + " is "
                + s.channels()
                + "x"
                + s.height()
                + "x"
                + s.width()
                + ", sample "
                + first.id()
                + " is "
                + first.channels()
                + "x"
                + first.height()
                + "x"
                + first.width());
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

  /** The images as one batch, e.g. for {@code PngGrid}. */
  public ImageBatch batch() {
    return new ImageBatch(count, height, width, channels, nhwc);
  }

  /**
   * A grid, {@code columns} images per row, 2 px black padding ({@code PngGrid}), as PNG bytes on
   * {@code out}.
   */
  void writePngGrid(java.io.OutputStream out, int columns) throws IOException {
    int cols = Math.min(columns, count);
    PngGrid.write(batch(), (count + cols - 1) / cols, cols, 2, out);
  }
}
