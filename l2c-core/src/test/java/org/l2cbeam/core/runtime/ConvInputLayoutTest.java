package org.l2cbeam.core.runtime;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNotSame;
import static org.junit.Assert.assertSame;
import static org.junit.Assert.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.SplittableRandom;
import java.util.function.Function;
import org.junit.After;
import org.junit.Before;
import org.junit.Test;
import org.l2cbeam.core.Parity;
import org.l2cbeam.core.TestResources;
import org.l2cbeam.core.fid.FmnistFeatureNet;
import org.l2cbeam.core.fid.InceptionV3Fid;
import org.l2cbeam.core.io.WeightMap;
import org.l2cbeam.core.model.DiT;
import org.l2cbeam.core.model.DiTConfig;
import org.l2cbeam.core.model.UViT;
import org.l2cbeam.core.vae.AutoencoderKL;
import org.l2cbeam.core.vae.RandomVaeParameters;
import org.l2cbeam.core.vae.VaeConfig;

/**
 * The layout guard of every conv network: the same logical input, once contiguous and once as a
 * channels-last strided view (NHWC memory viewed as NCHW, what {@code transpose(0, 3, 1, 2)} of
 * pixels gives), must give the same output. On AVX-512 AMD Zen 5 CPUs, libtorch 2.7.1 computes a
 * channels-last 1×1 conv wrongly (see {@link Contiguous}); these tests failed there before every
 * network made its conv inputs contiguous.
 */
public class ConvInputLayoutTest {
  private static final double REL = 1e-6;

  private NDManager manager;

  @Before
  public void setUp() {
    Torch.inferenceMode();
    manager = Torch.newManager();
  }

  @After
  public void tearDown() {
    manager.close();
  }

  @Test
  public void contiguousReturnsTheSameArrayOrADenseCopy() {
    NDArray dense = manager.arange(24f).reshape(2, 3, 4);
    assertTrue(Contiguous.is(dense));
    assertSame(dense, Contiguous.of(dense));
    NDArray view = dense.transpose(0, 2, 1);
    assertFalse(Contiguous.is(view));
    NDArray copy = Contiguous.of(view);
    assertNotSame(view, copy);
    assertTrue(Contiguous.is(copy));
    assertEquals(view.getShape(), copy.getShape());
    assertArrayEquals(view.toFloatArray(), copy.toFloatArray(), 0f);
    assertSame("the copy belongs to the caller's scope", manager, copy.getManager());
  }

  @Test
  public void inceptionIgnoresTheInputLayout() {
    try (InceptionV3Fid net = InceptionV3Fid.withHashWeights(0)) {
      // 75x75 keeps the network's native stride pattern (Conv2d_3b_1x1 sees 64 channels) at a
      // test-sized cost; 299
      // goes through no resize, so the strided view reaches the first conv as it is.
      assertLayoutIndependent("inception 75x75", 2, 3, 75, net::forward);
      assertLayoutIndependent("inception 299x299", 1, 3, 299, net::forward);
    }
  }

  @Test
  public void fmnistFeatureNetIgnoresTheInputLayout() {
    try (FmnistFeatureNet net = FmnistFeatureNet.builtin()) {
      // one channel: NHWC and NCHW are the same memory, so use a channels-last view of a wider
      // batch slice instead
      assertLayoutIndependent("fmnist features", 4, 1, 28, net::forward);
    }
  }

  @Test
  public void vaeIgnoresTheInputLayout() {
    try (AutoencoderKL vae =
        AutoencoderKL.create(new RandomVaeParameters(VaeConfig.stableDiffusionKlF8()))) {
      assertLayoutIndependent("SD VAE decode (8x8 latent)", 1, 4, 8, vae::decode);
      assertLayoutIndependent(
          "SD VAE encode (64x64 image)", 1, 3, 64, x -> vae.encodeMoments(x).mean());
    }
  }

  @Test
  public void ditPatchEmbeddingIgnoresTheInputLayout() {
    WeightMap w = WeightMap.open(TestResources.vector("dit_model.safetensors"));
    try (DiT dit = DiT.load(w, DiTConfig.infer(w, 4), manager)) {
      int size = dit.config().inputSize;
      int channels = dit.config().inChannels;
      assertLayoutIndependent(
          "DiT forward",
          2,
          channels,
          size,
          x ->
              dit.forward(
                  x, manager.create(new long[] {10, 500}), manager.create(new long[] {1, 3})));
    }
  }

  @Test
  public void uvitPatchEmbeddingIgnoresTheInputLayout() {
    WeightMap w = WeightMap.open(TestResources.vector("uvit_model.safetensors"));
    try (UViT uvit = UViT.load(w, 4)) {
      assertLayoutIndependent(
          "U-ViT forward",
          2,
          uvit.config().inChannels,
          uvit.config().imageSize,
          x -> uvit.forward(x, new float[] {10f, 500f}, new long[] {1, 3}));
    }
  }

  /**
   * Runs {@code network} on N(0,1) values given as a contiguous NCHW array and as a strided NCHW
   * view of the same values stored NHWC, and requires outputs equal within {@link #REL} of their
   * largest magnitude.
   */
  private void assertLayoutIndependent(
      String what, int n, int c, int size, Function<NDArray, NDArray> network) {
    float[] nhwc = new float[n * size * size * c];
    SplittableRandom random = new SplittableRandom(42);
    for (int i = 0; i < nhwc.length; i++) nhwc[i] = (float) (random.nextDouble() * 2 - 1);
    try (NDManager scope = manager.newSubManager()) {
      NDArray strided = scope.create(nhwc, new Shape(n, size, size, c)).transpose(0, 3, 1, 2);
      if (c > 1) assertFalse(what + ": the view must be strided", Contiguous.is(strided));
      NDArray dense = Contiguous.of(strided);
      if (c == 1) {
        // a one-channel NHWC array is already dense NCHW: stride it through a batch-major
        // permutation instead
        NDArray wide = scope.create(nhwc, new Shape(size, size, n, c)).transpose(2, 3, 0, 1);
        assertFalse(what + ": the view must be strided", Contiguous.is(wide));
        dense = Contiguous.of(wide);
        strided = wide;
      }
      float[] expected = network.apply(dense).toFloatArray();
      float[] actual = network.apply(strided).toFloatArray();
      Parity.assertClose(what, actual, expected, REL);
    }
  }
}
