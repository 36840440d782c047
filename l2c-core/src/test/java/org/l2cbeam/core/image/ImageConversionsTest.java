package org.l2cbeam.core.image;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertThrows;

import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.imageio.ImageIO;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;
import org.l2cbeam.core.data.FashionMnist;
import org.l2cbeam.core.io.DType;
import org.l2cbeam.core.io.NpzFile;
import org.l2cbeam.core.io.NpzWriter;

public class ImageConversionsTest {
  @Rule public TemporaryFolder tmp = new TemporaryFolder();

  /**
   * Expected bytes from torch: torch.clamp(127.5 * x + 128.0, 0, 255).to(torch.uint8) in float32.
   */
  @Test
  public void ditRuleRoundsHalfUpWithItsPlus128() {
    float[] x = {-1.5f, -1f, -0.996f, -0.5f, 0f, 0.0039f, 0.5f, 0.99f, 1f, 2f, Float.NaN};
    ImageBatch b = ImageConversions.fromDiT(x, 1, 1, 1, x.length);
    int[] expected = {0, 0, 1, 64, 128, 128, 191, 254, 255, 255, 0};
    for (int i = 0; i < x.length; i++) assertEquals("x=" + x[i], expected[i], b.get(0, 0, i, 0));
  }

  @Test
  public void uvitRuleRoundsHalfUpOf255v() {
    float[] x = {-2f, -1f, -0.5f, 0f, 0.5f, 1f, 3f};
    ImageBatch b = ImageConversions.fromUViT(x, 1, 1, 1, x.length);
    int[] expected = {0, 0, 64, 128, 191, 255, 255};
    for (int i = 0; i < x.length; i++) assertEquals("x=" + x[i], expected[i], b.get(0, 0, i, 0));
  }

  @Test
  public void nchwSamplesBecomeNhwcBytes() {
    // 1 image, 3 channels, 1x2: channel planes R = (-1, 1), G = (0, 0), B = (1, -1)
    float[] x = {-1, 1, 0, 0, 1, -1};
    ImageBatch b = ImageConversions.fromDiT(x, 1, 3, 1, 2);
    assertArrayEquals(
        new byte[] {0, (byte) 128, (byte) 255, (byte) 255, (byte) 128, 0}, b.pixels());
  }

  @Test
  public void fashionMnistPadsWithMinusOneAndCropsBack() {
    ImageBatch images = FashionMnist.openDefault().images(FashionMnist.Split.TEST).slice(0, 2);
    float[] padded = ImageConversions.toSignedUnitPadded(images, 2);
    assertEquals(2 * 32 * 32, padded.length);
    assertEquals(-1f, padded[0], 0f);
    assertEquals(-1f, padded[32 * 32 - 1], 0f);
    assertEquals(images.get(1, 5, 7, 0) / 127.5f - 1f, padded[32 * 32 + (5 + 2) * 32 + 7 + 2], 0f);
    // back to bytes with the DiT rule, then crop rows/columns 2..29: the original images
    ImageBatch back =
        ImageConversions.centerCrop(ImageConversions.fromDiT(padded, 2, 1, 32, 32), 28);
    assertEquals(images, back);
  }

  @Test
  public void pngGridHasTheImagesInRowMajorCells() throws Exception {
    byte[] px = new byte[3 * 2 * 2 * 3];
    for (int i = 0; i < px.length; i++) px[i] = (byte) (i * 20);
    ImageBatch rgb = new ImageBatch(3, 2, 2, 3, px);
    Path out = tmp.getRoot().toPath().resolve("grid.png");
    PngGrid.write(rgb, 2, 2, 1, out);
    BufferedImage img = ImageIO.read(out.toFile());
    assertEquals(2 * 3 + 1, img.getWidth());
    assertEquals(2 * 3 + 1, img.getHeight());
    // image 2 (third) sits in row 1, column 0: top-left pixel at (1, 4)
    int rgbAt = img.getRGB(1, 4);
    assertEquals(rgb.get(2, 0, 0, 0), (rgbAt >> 16) & 0xff);
    assertEquals(rgb.get(2, 0, 0, 2), rgbAt & 0xff);
    assertEquals(0, img.getRGB(0, 0) & 0xffffff); // padding is black

    ImageBatch grey = FashionMnist.openDefault().images(FashionMnist.Split.TEST).slice(0, 4);
    Path greyOut = tmp.getRoot().toPath().resolve("grey.png");
    PngGrid.write(grey, 2, 2, greyOut);
    BufferedImage g = ImageIO.read(greyOut.toFile());
    assertEquals(BufferedImage.TYPE_BYTE_GRAY, g.getType());
    assertEquals(grey.get(3, 10, 11, 0), g.getRaster().getSample(2 + 30 + 11, 2 + 30 + 10, 0));
    // and the folder reader gets the same bytes back
    try (ImageSource src = ImageSources.folder(tmp.getRoot().toPath(), 1)) {
      assertEquals(2, src.count());
    }
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> PngGrid.write(grey, 1, 3, tmp.getRoot().toPath().resolve("x.png")));
    assertThat(e.getMessage(), containsString("4 images do not fit a 1x3 grid"));
  }

  @Test
  public void samplesNpzStreamsBackAsBatches() throws Exception {
    ImageBatch grey = FashionMnist.openDefault().images(FashionMnist.Split.TEST).slice(0, 5);
    ImageBatch rgb = new ImageBatch(5, 28, 28, 3, new byte[5 * 28 * 28 * 3]);
    System.arraycopy(grey.pixels(), 0, rgb.pixels(), 0, grey.pixels().length);
    Path out = tmp.getRoot().toPath().resolve("samples.npz");
    SampleNpz.write(out, rgb);
    try (ImageSource src = ImageSources.open(out.toString(), 3, FashionMnist.Split.TEST)) {
      assertEquals(5, src.count());
      assertEquals(rgb.slice(0, 2), src.next(2));
      assertEquals(rgb.slice(2, 4), src.next(2));
      assertEquals(rgb.slice(4, 5), src.next(2));
      assertEquals(null, src.next(2));
    }
    try (NpzFile npz = NpzFile.open(out)) {
      assertEquals(DType.U8, npz.header("arr_0").dtype());
    }
    Path streamed = tmp.getRoot().toPath().resolve("streamed.npz");
    try (NpzWriter.StreamingArray w = SampleNpz.stream(streamed, 5, 28, 28, 3)) {
      w.write(rgb.slice(0, 3).pixels());
      w.write(rgb.slice(3, 5).pixels());
      w.commit();
    }
    try (ImageSource src = ImageSources.npz(streamed)) {
      assertEquals(rgb, src.next(10));
    }
  }

  @Test
  public void folderImagesAreReadLikePil() throws Exception {
    Path dir = tmp.newFolder("imgs").toPath();
    BufferedImage a = new BufferedImage(3, 2, BufferedImage.TYPE_INT_RGB);
    a.setRGB(0, 0, 0x102030);
    a.setRGB(2, 1, 0xff8000);
    ImageIO.write(a, "png", dir.resolve("a.png").toFile());
    BufferedImage b = new BufferedImage(3, 2, BufferedImage.TYPE_BYTE_GRAY);
    b.getRaster().setSample(1, 0, 0, 77);
    ImageIO.write(b, "png", dir.resolve("b.png").toFile());
    Files.writeString(dir.resolve("notes.txt"), "ignored");
    try (ImageSource src = ImageSources.folder(dir, 3)) {
      ImageBatch batch = src.next(10);
      assertEquals("[2, 2, 3, 3]", batch.shapeString());
      assertEquals(0x10, batch.get(0, 0, 0, 0));
      assertEquals(0x30, batch.get(0, 0, 0, 2));
      assertEquals(0x80, batch.get(0, 1, 2, 1));
      assertEquals(77, batch.get(1, 0, 1, 0));
      assertEquals(77, batch.get(1, 0, 1, 2));
    }
    try (ImageSource src = ImageSources.folder(dir, 1)) {
      ImageBatch batch = src.next(10);
      // PIL's L = (19595 R + 38470 G + 7471 B + 32768) >> 16 for (255, 128, 0)
      assertEquals((19595 * 255 + 38470 * 128 + 32768) >> 16, batch.get(0, 1, 2, 0));
      assertEquals(77, batch.get(1, 0, 1, 0));
    }
    Files.write(dir.resolve("c.png"), new byte[] {1, 2, 3});
    try (ImageSource src = ImageSources.folder(dir, 3)) {
      org.l2cbeam.core.io.CheckpointFormatException e =
          assertThrows(org.l2cbeam.core.io.CheckpointFormatException.class, () -> src.next(10));
      assertThat(e.getMessage(), containsString("c.png"));
    }
  }
}
