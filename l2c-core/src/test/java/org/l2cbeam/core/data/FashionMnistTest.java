package org.l2cbeam.core.data;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertThrows;

import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.GZIPOutputStream;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;
import org.l2cbeam.core.assets.BuiltinAssets;
import org.l2cbeam.core.image.ImageBatch;
import org.l2cbeam.core.io.CheckpointFormatException;

public class FashionMnistTest {
  @Rule public TemporaryFolder tmp = new TemporaryFolder();

  @Test
  public void bundledSubsetHasTheTestSplitAndTenThousandTrainingImages() {
    FashionMnist data = FashionMnist.open(BuiltinAssets.resolve(FashionMnist.BUILTIN));
    ImageBatch test = data.images(FashionMnist.Split.TEST);
    assertEquals("[10000, 28, 28, 1]", test.shapeString());
    assertEquals(10000, data.labels(FashionMnist.Split.TEST).length);
    assertEquals(10000, data.images(FashionMnist.Split.TRAIN).count());
    byte[] labels = data.labels(FashionMnist.Split.TRAIN);
    assertEquals(9, labels[0]); // the first training image is an ankle boot
    for (byte l : labels) assertEquals(true, l >= 0 && l <= 9);
  }

  /**
   * The bundled subset holds Fashion-MNIST's own bytes: SHA-256 of the pixels and labels as read,
   * against the same digests of Debian's dataset-fashion-mnist 0.0~git20200523.55506a9-1 (the test
   * split whole, the first 10 000 images and labels of its 60 000-image training split), computed
   * from the package's files.
   */
  @Test
  public void bundledSubsetHasTheBytesOfTheDebianDataset() throws Exception {
    FashionMnist bundled = FashionMnist.open(BuiltinAssets.resolve(FashionMnist.BUILTIN));
    assertDigests(
        bundled,
        FashionMnist.Split.TEST,
        "c867c93ff95360594e8ec3287995350b824dd110b11595c0e13d5423f621867a",
        "3d0e6c6ea990b53b6f8f500a41cac93881d981b315f84578b7d915342ade01e9");
    assertDigests(
        bundled,
        FashionMnist.Split.TRAIN,
        "2929ae1c7b89e0ee6587bbe4911fd5f0a5dafe21ae6ed9b737173cbfe20c12c9",
        "1022e4632874e71bb84d924c475e6a3428a2deeb8c5a0f612a015c97e4fce7f0");
  }

  private static void assertDigests(
      FashionMnist data, FashionMnist.Split split, String images, String labels) throws Exception {
    assertEquals(split + " images", images, sha256(data.images(split).pixels()));
    assertEquals(split + " labels", labels, sha256(data.labels(split)));
  }

  private static String sha256(byte[] bytes) throws Exception {
    return java.util.HexFormat.of()
        .formatHex(java.security.MessageDigest.getInstance("SHA-256").digest(bytes));
  }

  @Test
  public void rawAndGzippedIdxReadTheSame() throws Exception {
    byte[] idx = {0, 0, 8, 3, 0, 0, 0, 2, 0, 0, 0, 1, 0, 0, 0, 2, 7, (byte) 200, 9, 10};
    Path raw = tmp.getRoot().toPath().resolve("x-images-idx3-ubyte");
    Files.write(raw, idx);
    Path gz = tmp.getRoot().toPath().resolve("x-images-idx3-ubyte.gz");
    try (OutputStream out = new GZIPOutputStream(Files.newOutputStream(gz))) {
      out.write(idx);
    }
    for (Path p : new Path[] {raw, gz}) {
      ImageBatch b = FashionMnist.readImages(p);
      assertEquals("[2, 1, 2, 1]", b.shapeString());
      assertArrayEquals(new byte[] {7, (byte) 200, 9, 10}, b.pixels());
    }
  }

  @Test
  public void badIdxFilesNameTheFile() throws Exception {
    Path dir = tmp.getRoot().toPath();
    Path truncated = dir.resolve("t-images-idx3-ubyte");
    Files.write(truncated, new byte[] {0, 0, 8, 3, 0, 0, 0, 2, 0, 0, 0, 28, 0, 0, 0, 28, 1, 2, 3});
    CheckpointFormatException e =
        assertThrows(CheckpointFormatException.class, () -> FashionMnist.readImages(truncated));
    assertThat(e.getMessage(), containsString("t-images-idx3-ubyte: IDX data truncated"));

    Path floats = dir.resolve("f-images-idx3-ubyte");
    Files.write(floats, new byte[] {0, 0, 0x0D, 1, 0, 0, 0, 1, 0, 0, 0, 0});
    e = assertThrows(CheckpointFormatException.class, () -> FashionMnist.readImages(floats));
    assertThat(e.getMessage(), containsString("unsupported IDX element type 0x0D"));

    Path badGzip = dir.resolve("g-images-idx3-ubyte.gz");
    Files.write(badGzip, new byte[] {0x1f, (byte) 0x8b, 8, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9});
    e = assertThrows(CheckpointFormatException.class, () -> FashionMnist.readImages(badGzip));
    assertThat(e.getMessage(), containsString("g-images-idx3-ubyte.gz"));

    e =
        assertThrows(
            CheckpointFormatException.class,
            () -> FashionMnist.open(dir).images(FashionMnist.Split.TEST));
    assertThat(e.getMessage(), containsString("no t10k-images-idx3-ubyte[.gz]"));
  }

  @Test
  public void idxDimensionsAreUnsignedAndAGzipCannotDeclareMoreThanItHolds() throws Exception {
    Path dir = tmp.getRoot().toPath();
    Path huge = dir.resolve("h-images-idx3-ubyte");
    Files.write(huge, new byte[] {0, 0, 8, 1, (byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff});
    CheckpointFormatException e =
        assertThrows(CheckpointFormatException.class, () -> FashionMnist.readImages(huge));
    assertThat(e.getMessage(), containsString("IDX dimension 4294967295 is too large"));

    Path bomb = dir.resolve("b-images-idx3-ubyte.gz");
    try (var gz = new java.util.zip.GZIPOutputStream(Files.newOutputStream(bomb))) {
      gz.write(
          new byte[] {
            0, 0, 8, 3, 0, 0x1e, (byte) 0x84, (byte) 0x80, 0, 0, 0, 28, 0, 0, 0, 28
          }); // 2M x 28 x 28
    }
    e = assertThrows(CheckpointFormatException.class, () -> FashionMnist.readImages(bomb));
    assertThat(e.getMessage(), containsString("IDX header declares 1568000000 data bytes"));
    assertThat(e.getMessage(), containsString("gzip file can hold"));
  }
}
