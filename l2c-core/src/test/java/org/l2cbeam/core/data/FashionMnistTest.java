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
import org.junit.Assume;
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

  @Test
  public void bundledSubsetEqualsTheSystemDatasetWhereBothExist() {
    Assume.assumeTrue(Files.isDirectory(FashionMnist.SYSTEM_DIRECTORY));
    assertEquals(FashionMnist.SYSTEM_DIRECTORY, FashionMnist.defaultDirectory());
    FashionMnist system = FashionMnist.open(FashionMnist.SYSTEM_DIRECTORY);
    FashionMnist bundled = FashionMnist.open(BuiltinAssets.resolve(FashionMnist.BUILTIN));
    assertEquals(system.images(FashionMnist.Split.TEST), bundled.images(FashionMnist.Split.TEST));
    ImageBatch train = system.images(FashionMnist.Split.TRAIN);
    assertEquals(60000, train.count());
    assertEquals(train.slice(0, 10000), bundled.images(FashionMnist.Split.TRAIN));
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
    CheckpointFormatException e = assertThrows(CheckpointFormatException.class, () -> FashionMnist.readImages(truncated));
    assertThat(e.getMessage(), containsString("t-images-idx3-ubyte: IDX data truncated"));

    Path floats = dir.resolve("f-images-idx3-ubyte");
    Files.write(floats, new byte[] {0, 0, 0x0D, 1, 0, 0, 0, 1, 0, 0, 0, 0});
    e = assertThrows(CheckpointFormatException.class, () -> FashionMnist.readImages(floats));
    assertThat(e.getMessage(), containsString("unsupported IDX element type 0x0D"));

    Path badGzip = dir.resolve("g-images-idx3-ubyte.gz");
    Files.write(badGzip, new byte[] {0x1f, (byte) 0x8b, 8, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9});
    e = assertThrows(CheckpointFormatException.class, () -> FashionMnist.readImages(badGzip));
    assertThat(e.getMessage(), containsString("g-images-idx3-ubyte.gz"));

    e = assertThrows(CheckpointFormatException.class, () -> FashionMnist.open(dir).images(FashionMnist.Split.TEST));
    assertThat(e.getMessage(), containsString("no t10k-images-idx3-ubyte[.gz]"));
  }
}
