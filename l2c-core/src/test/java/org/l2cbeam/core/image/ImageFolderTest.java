package org.l2cbeam.core.image;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;
import org.l2cbeam.core.io.CheckpointFormatException;

/** torchvision's ImageFolder layout on real PNG files. */
public class ImageFolderTest {
  @Rule public TemporaryFolder tmp = new TemporaryFolder();

  static void writePng(Path file, int w, int h, int seed) throws Exception {
    Files.createDirectories(file.getParent());
    BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
    for (int y = 0; y < h; y++) {
      for (int x = 0; x < w; x++) {
        int r = (x * 40 + seed * 17) % 256;
        int g = (y * 30 + seed * 59) % 256;
        int b = (x * y + seed * 101) % 256;
        img.setRGB(x, y, (r << 16) | (g << 8) | b);
      }
    }
    assertTrue(ImageIO.write(img, "png", file.toFile()));
  }

  private Path root() {
    return tmp.getRoot().toPath();
  }

  @Test
  public void classSubfoldersAreSortedAndLabelledByPosition() throws Exception {
    Path r = root().resolve("train");
    writePng(r.resolve("n02/b.png"), 4, 4, 1);
    writePng(r.resolve("n02/a.PNG"), 4, 4, 2);
    writePng(r.resolve("n01/z.png"), 4, 4, 3);
    // Recursive, ordered like sorted(os.walk(...)): by folder path, where '-' sorts before '/'.
    writePng(r.resolve("n01/sub/b.png"), 4, 4, 4);
    writePng(r.resolve("n01/sub/deeper/a.png"), 4, 4, 5);
    writePng(r.resolve("n01/sub-x/a.png"), 4, 4, 6);
    Files.writeString(r.resolve("n01/notes.txt"), "not an image");
    ImageFolder f = ImageFolder.open(r);
    assertEquals(List.of("n01", "n02"), f.classes());
    assertEquals(6, f.size());
    String[] expected = {
      "n01/z.png",
      "n01/sub/b.png",
      "n01/sub-x/a.png",
      "n01/sub/deeper/a.png",
      "n02/a.PNG",
      "n02/b.png"
    };
    int[] labels = {0, 0, 0, 0, 1, 1};
    for (int i = 0; i < expected.length; i++) {
      assertEquals(r.resolve(expected[i]), f.file(i));
      assertEquals(labels[i], f.label(i));
    }
  }

  @Test
  public void aFlatFolderIsOneClass() throws Exception {
    Path r = root().resolve("flat");
    writePng(r.resolve("b.png"), 3, 2, 1);
    writePng(r.resolve("a.png"), 3, 2, 2);
    ImageFolder f = ImageFolder.open(r);
    assertEquals(1, f.classes().size());
    assertEquals(r.resolve("a.png"), f.file(0));
    assertEquals(0, f.label(0));
    assertEquals(0, f.label(1));
    ImageBatch img = f.readRgb(0);
    assertEquals("[1, 2, 3, 3]", img.shapeString());
    // pixel (x=1, y=1) of seed 2: r = 40 + 34, g = 30 + 118, b = 1 + 202
    assertArrayEquals(
        new int[] {74, 148, 203},
        new int[] {img.get(0, 1, 1, 0), img.get(0, 1, 1, 1), img.get(0, 1, 1, 2)});
  }

  @Test
  public void greyImagesBecomeRgbLikePil() throws Exception {
    Path r = root().resolve("grey");
    Files.createDirectories(r);
    BufferedImage img = new BufferedImage(2, 1, BufferedImage.TYPE_BYTE_GRAY);
    img.getRaster().setSample(0, 0, 0, 7);
    img.getRaster().setSample(1, 0, 0, 200);
    assertTrue(ImageIO.write(img, "png", r.resolve("g.png").toFile()));
    ImageBatch rgb = ImageFolder.open(r).readRgb(0);
    assertArrayEquals(new byte[] {7, 7, 7, (byte) 200, (byte) 200, (byte) 200}, rgb.pixels());
  }

  @Test
  public void holdsImagesLooksBelowTheRoot() throws Exception {
    Path r = root().resolve("deep");
    Files.createDirectories(r.resolve("a/b"));
    assertFalse(ImageFolder.holdsImages(r));
    writePng(r.resolve("a/b/c.jpg.png"), 2, 2, 0);
    assertTrue(ImageFolder.holdsImages(r));
  }

  @Test
  public void badFoldersAreNamed() throws Exception {
    Path missing = root().resolve("missing");
    assertThat(
        assertThrows(CheckpointFormatException.class, () -> ImageFolder.open(missing)).getMessage(),
        containsString(missing + ": no such image folder"));

    Path empty = root().resolve("empty");
    Files.createDirectories(empty.resolve("class-without-images"));
    Files.writeString(empty.resolve("README.md"), "no images here");
    assertThat(
        assertThrows(CheckpointFormatException.class, () -> ImageFolder.open(empty)).getMessage(),
        containsString(empty + ": no image files (bmp, jpg"));

    Path mixed = root().resolve("mixed");
    writePng(mixed.resolve("stray.png"), 2, 2, 0);
    writePng(mixed.resolve("cat/a.png"), 2, 2, 0);
    assertThat(
        assertThrows(CheckpointFormatException.class, () -> ImageFolder.open(mixed)).getMessage(),
        containsString(mixed + ": mixes image files (stray.png, ...) with class subfolders"));

    Path gap = root().resolve("gap");
    writePng(gap.resolve("cat/a.png"), 2, 2, 0);
    Files.createDirectories(gap.resolve("dog"));
    assertThat(
        assertThrows(CheckpointFormatException.class, () -> ImageFolder.open(gap)).getMessage(),
        containsString(gap.resolve("dog") + ": class folder holds no image files"));
  }

  @Test
  public void anUndecodableImageIsNamedWhenRead() throws Exception {
    Path r = root().resolve("broken");
    writePng(r.resolve("a.png"), 2, 2, 0);
    Files.write(r.resolve("b.png"), new byte[] {1, 2, 3, 4, 5});
    ImageFolder f = ImageFolder.open(r);
    assertEquals(2, f.size());
    f.readRgb(0);
    CheckpointFormatException e = assertThrows(CheckpointFormatException.class, () -> f.readRgb(1));
    assertThat(e.getMessage(), containsString(r.resolve("b.png").toString()));
  }
}
