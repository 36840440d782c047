package org.l2cbeam.core.fid;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.lessThan;
import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertThrows;

import org.junit.AfterClass;
import org.junit.BeforeClass;
import org.junit.Test;
import org.l2cbeam.core.Parity;
import org.l2cbeam.core.assets.BuiltinAssets;
import org.l2cbeam.core.data.FashionMnist;
import org.l2cbeam.core.image.ImageBatch;
import org.l2cbeam.core.image.ImageSources;
import org.l2cbeam.core.io.CheckpointFormatException;
import org.l2cbeam.core.io.WeightMap;

public class FmnistFeatureNetTest {
  private static FmnistFeatureNet net;

  @BeforeClass
  public static void load() {
    net = FmnistFeatureNet.builtin();
  }

  @AfterClass
  public static void free() {
    net.close();
  }

  /**
   * fmnist-test-stats.npz was made by PyTorch over the 10 000 test images. The FID between our
   * statistics of the bundled test split and the reference must be 0 within 1e-6 of the
   * distribution's scale tr(sigma) (measured: 1.8e-11 against 495, i.e. 4e-14). Against a third set
   * (the bundled training subset), both must give the same FID: that FID is only 0.2, a difference
   * of traces near 500, so float32 features bound its agreement to about 1e-5 relative (measured
   * 8.8e-6, 1.8e-6 absolute).
   */
  @Test
  public void reproducesTheReferenceTestStatistics() {
    FashionMnist data = FashionMnist.open(BuiltinAssets.resolve(FashionMnist.BUILTIN));
    FidStats ours = stats(data.images(FashionMnist.Split.TEST));
    FidStats reference = FidStats.read(BuiltinAssets.resolve("builtin:fmnist-test-stats"));
    FidStats train = stats(data.images(FashionMnist.Split.TRAIN));

    double traceScale = 0;
    double[] sigma = reference.sigma();
    for (int i = 0; i < 128; i++) traceScale += sigma[i * 128 + i];
    double self = FrechetDistance.compute(ours, reference);
    System.out.println("FID(ours, reference) = " + self + " (trace of sigma " + traceScale + ")");
    assertThat(Math.abs(self), lessThan(1e-6 * traceScale));

    double expected = FrechetDistance.compute(reference, train);
    double actual = FrechetDistance.compute(ours, train);
    System.out.println(
        "FID(reference, train10k) = " + expected + ", FID(ours, train10k) = " + actual);
    assertEquals(expected, actual, 3e-5 * expected);
    assertEquals(expected, actual, 1e-8 * traceScale);

    Parity.assertClose("mu", ours.mu(), reference.mu(), 1e-5);
    Parity.assertClose("sigma", ours.sigma(), reference.sigma(), 1e-5);
  }

  private static FidStats stats(ImageBatch images) {
    return StatsFromImages.compute(net, ImageSources.of("test", images), 1000, (d, t) -> {})
        .toFidStats();
  }

  @Test
  public void paddedSamplesAreCenterCropped() {
    ImageBatch images = FashionMnist.openDefault().images(FashionMnist.Split.TEST).slice(0, 3);
    byte[] padded = new byte[3 * 32 * 32];
    for (int i = 0; i < 3; i++) {
      for (int y = 0; y < 28; y++) {
        for (int x = 0; x < 28; x++)
          padded[(i * 32 + y + 2) * 32 + x + 2] = (byte) images.get(i, y, x, 0);
      }
    }
    float[][] a = net.features(images);
    float[][] b = net.features(new ImageBatch(3, 32, 32, 1, padded));
    for (int i = 0; i < 3; i++) assertArrayEquals(a[i], b[i], 0f);
  }

  @Test
  public void wrongChannelCountOrSizeIsRejected() {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> net.features(new ImageBatch(1, 28, 28, 3, new byte[28 * 28 * 3])));
    assertThat(e.getMessage(), containsString("1 channel"));
    assertThat(e.getMessage(), containsString("[1, 28, 28, 3]"));
    e =
        assertThrows(
            IllegalArgumentException.class,
            () -> net.features(new ImageBatch(1, 20, 20, 1, new byte[400])));
    assertThat(e.getMessage(), containsString("28x28"));
  }

  @Test
  public void fewerThanTwoImagesAreRejected() {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                StatsFromImages.compute(
                    net,
                    ImageSources.of("one.npz", new ImageBatch(1, 28, 28, 1, new byte[784])),
                    50,
                    (d, t) -> {}));
    assertThat(
        e.getMessage(), containsString("one.npz: FID statistics need at least 2 images, found 1"));
  }

  @Test
  public void wrongWeightsAreRejected() {
    WeightMap inception =
        new WeightMap(
            java.nio.file.Path.of("inception.pth"),
            InceptionV3Fid.hashWeights(1),
            java.util.Map.of());
    CheckpointFormatException e =
        assertThrows(
            CheckpointFormatException.class, () -> FmnistFeatureNet.fromWeights(inception));
    assertThat(e.getMessage(), containsString("inception.pth"));
    assertThat(e.getMessage(), containsString("missing keys: [conv1.weight"));
  }
}
