package org.l2cbeam.core.fid;

import static org.junit.Assert.assertEquals;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import org.junit.AfterClass;
import org.junit.BeforeClass;
import org.junit.Test;
import org.l2cbeam.core.Parity;
import org.l2cbeam.core.data.FashionMnist;
import org.l2cbeam.core.image.ImageBatch;
import org.l2cbeam.core.image.ImageSource;
import org.l2cbeam.core.image.ImageSources;
import org.l2cbeam.core.runtime.Torch;

/**
 * Inception FID features of real 8-bit images, end to end through {@link StatsFromImages} (what
 * {@code l2c fid stats} and the pipelines run), against features of the same pixels built as a
 * dense float NCHW array in Java. This is the path that came out 8–11% wrong on AVX-512 AMD Zen 5
 * CPUs while the images' NHWC bytes reached the network as a strided view.
 */
public class InceptionRealImagesTest {
  private static final int COUNT = 4;
  private static final double REL = 1e-5;

  private static InceptionV3Fid net;
  private static ImageBatch rgb;

  @BeforeClass
  public static void load() {
    net = InceptionV3Fid.withHashWeights(7);
    try (ImageSource grey = ImageSources.open(FashionMnist.BUILTIN, 1, FashionMnist.Split.TEST)) {
      rgb = toRgb(grey.next(COUNT));
    }
  }

  @AfterClass
  public static void close() {
    net.close();
  }

  /**
   * Fashion-MNIST is grey: replicate it into three channels, as PIL's {@code convert('RGB')} does.
   */
  private static ImageBatch toRgb(ImageBatch grey) {
    byte[] px = new byte[grey.count() * grey.height() * grey.width() * 3];
    for (int i = 0; i < grey.pixels().length; i++) {
      for (int c = 0; c < 3; c++) px[3 * i + c] = grey.pixels()[i];
    }
    return new ImageBatch(grey.count(), grey.height(), grey.width(), 3, px);
  }

  @Test
  public void statsOfUint8ImagesMatchTheDenseFloatPath() {
    float[][] reference = denseFloatFeatures(rgb);
    FeatureStats stats =
        StatsFromImages.compute(
            net, ImageSources.of("fashion-mnist rgb", rgb), 3, (done, total) -> {});
    assertEquals(COUNT, stats.count());

    double[] expectedMean = new double[InceptionV3Fid.DIM];
    for (float[] row : reference)
      for (int j = 0; j < row.length; j++) expectedMean[j] += row[j] / (double) COUNT;
    Parity.assertClose("mean feature", stats.mu(), expectedMean, REL);

    float[][] rows = net.features(rgb);
    for (int i = 0; i < COUNT; i++) {
      Parity.assertClose("image " + i, rows[i], reference[i], REL);
    }
  }

  /**
   * The features of {@code images} from a dense NCHW float array in [0, 1] built in Java: no view,
   * no transpose.
   */
  private static float[][] denseFloatFeatures(ImageBatch images) {
    int n = images.count();
    int h = images.height();
    int w = images.width();
    float[] nchw = new float[n * 3 * h * w];
    for (int i = 0; i < n; i++)
      for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++)
          for (int c = 0; c < 3; c++)
            nchw[((i * 3 + c) * h + y) * w + x] = images.get(i, y, x, c) / 255f;
    try (NDManager m = Torch.newManager()) {
      return InceptionV3Fid.toRows(net.forward(m.create(nchw, new Shape(n, 3, h, w))), n);
    }
  }
}
