package org.l2cbeam.core.router.train;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNotEquals;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.imageio.ImageIO;
import org.junit.AfterClass;
import org.junit.BeforeClass;
import org.junit.ClassRule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;
import org.l2cbeam.core.Parity;
import org.l2cbeam.core.TestResources;
import org.l2cbeam.core.image.AdmCenterCrop;
import org.l2cbeam.core.image.ImageBatch;
import org.l2cbeam.core.image.ImageFolder;
import org.l2cbeam.core.runtime.Torch;
import org.l2cbeam.core.vae.AutoencoderKL;
import org.l2cbeam.core.vae.DiagonalGaussian;

/**
 * A folder of real PNGs encoded for a latent model by the small test VAE (LDM layout, 4 latent
 * channels, downsampling factor 2): for 8x8 latents the images are cropped to 16x16.
 */
public class VaeEncodedExamplesTest {
  private static final int[] MODEL_INPUT = {4, 8, 8};
  private static final int RESOLUTION = 16;
  private static final int LATENT_VALUES = 4 * 8 * 8;
  private static final long SEED = 5;

  @ClassRule public static TemporaryFolder tmp = new TemporaryFolder();

  private static AutoencoderKL vae;
  private static ImageFolder folder;

  /** Pixel (x, y) of image {@code seed}: asymmetric left-right, so a flip shows. */
  private static int rgb(int x, int y, int seed) {
    int r = (x * 13 + seed * 29) % 256;
    int g = (y * 11 + x * x + seed * 7) % 256;
    int b = (x * y * 3 + seed * 41) % 256;
    return (r << 16) | (g << 8) | b;
  }

  static void writePng(Path file, int w, int h, int seed) throws Exception {
    Files.createDirectories(file.getParent());
    BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
    for (int y = 0; y < h; y++) {
      for (int x = 0; x < w; x++) img.setRGB(x, y, rgb(x, y, seed));
    }
    assertTrue(ImageIO.write(img, "png", file.toFile()));
  }

  @BeforeClass
  public static void setUp() throws Exception {
    Path dir = tmp.getRoot().toPath().resolve("images");
    writePng(dir.resolve("a.png"), 16, 16, 1); // already 16x16: the crop is the identity
    writePng(dir.resolve("b.png"), 20, 16, 2); // crop offset 2
    writePng(dir.resolve("c.png"), 40, 36, 3); // BOX halving, then bicubic
    writePng(dir.resolve("d.png"), 10, 12, 4); // smaller than 16: scaled up
    writePng(dir.resolve("e.png"), 17, 33, 5);
    folder = ImageFolder.open(dir);
    vae = AutoencoderKL.load(TestResources.vector("vae/vae_model.safetensors"));
  }

  @AfterClass
  public static void tearDown() {
    vae.close();
  }

  private static VaeEncodedExamples encode(long seed, int batch) {
    return VaeEncodedExamples.encode(
        folder, vae, "test-vae", MODEL_INPUT, 10, seed, batch, VaeEncodedExamples.Progress.NONE);
  }

  private static float[] latent(TrainingExamples e, int index) {
    float[] z = new float[LATENT_VALUES];
    e.copyExample(index, z, 0);
    return z;
  }

  @Test
  public void theLatentIsTheScaledPosteriorSampleOfTheCroppedFlippedImage() {
    VaeEncodedExamples examples = encode(SEED, 3);
    assertEquals(5, examples.size());
    assertArrayEquals(MODEL_INPUT, examples.exampleShape());
    assertEquals(RESOLUTION, examples.resolution());
    assertEquals(0.18215f, vae.scale().factor(), 0f);
    try (NDManager m = Torch.newManager()) {
      for (int i = 0; i < examples.size(); i++) {
        boolean flip = VaeEncodedExamples.flips(SEED, i);
        float[] x = new float[3 * RESOLUTION * RESOLUTION];
        if (i == 0) {
          // By hand: the file's own 16x16 pixels, mirrored when flipped, (u/255 - 0.5)/0.5, CHW.
          for (int c = 0; c < 3; c++) {
            for (int y = 0; y < RESOLUTION; y++) {
              for (int xx = 0; xx < RESOLUTION; xx++) {
                int px = rgb(flip ? RESOLUTION - 1 - xx : xx, y, 1);
                int u = (px >> (16 - 8 * c)) & 0xff;
                x[(c * RESOLUTION + y) * RESOLUTION + xx] = (u / 255f - 0.5f) / 0.5f;
              }
            }
          }
        } else {
          VaeEncodedExamples.toModelInput(
              AdmCenterCrop.apply(folder.readRgb(i), RESOLUTION), flip, x, 0);
        }
        float[] noise = VaeEncodedExamples.posteriorNoise(SEED, i, LATENT_VALUES);
        NDArray images = m.create(x, new Shape(1, 3, RESOLUTION, RESOLUTION));
        float[] expected = new float[LATENT_VALUES];
        try (DiagonalGaussian posterior = vae.encodeMoments(images)) {
          float[] mean = posterior.mean().toFloatArray();
          float[] logvar = posterior.logvar().toFloatArray();
          for (int j = 0; j < LATENT_VALUES; j++) {
            float std = (float) Math.exp(0.5 * Math.max(-30f, Math.min(20f, logvar[j])));
            expected[j] = vae.scale().factor() * (mean[j] + std * noise[j]);
          }
        }
        float[] got = latent(examples, i);
        Parity.assertClose("image " + i + " latent", got, expected, 2e-6);
        // ... and exactly what the VAE's own encode gives for that noise.
        float[] own = vae.encode(images, m.create(noise, new Shape(1, 4, 8, 8))).toFloatArray();
        Parity.assertClose("image " + i + " vs encode", got, own, 1e-6);
        assertEquals(0, examples.label(i));
      }
    }
  }

  @Test
  public void encodingIsDeterministicForASeedWhateverTheBatch() {
    VaeEncodedExamples a = encode(SEED, 2);
    VaeEncodedExamples again = encode(SEED, 2);
    VaeEncodedExamples oneByOne = encode(SEED, 1);
    VaeEncodedExamples otherSeed = encode(SEED + 1, 2);
    assertEquals(a.fingerprint(), again.fingerprint());
    assertEquals(a.fingerprint(), oneByOne.fingerprint());
    assertNotEquals(a.fingerprint(), otherSeed.fingerprint());
    for (int i = 0; i < a.size(); i++) {
      float[] z = latent(a, i);
      Parity.assertClose("latent " + i + " again", latent(again, i), z, 0);
      Parity.assertClose("latent " + i + " one by one", latent(oneByOne, i), z, 1e-6);
      assertFalse(java.util.Arrays.equals(z, latent(otherSeed, i)));
    }
  }

  @Test
  public void flipsAreSeededAndFair() {
    int flipped = 0;
    boolean seedsDiffer = false;
    for (int i = 0; i < 400; i++) {
      boolean f = VaeEncodedExamples.flips(SEED, i);
      assertEquals(f, VaeEncodedExamples.flips(SEED, i));
      if (f) flipped++;
      seedsDiffer |= f != VaeEncodedExamples.flips(SEED + 1, i);
    }
    assertTrue("flipped " + flipped + " of 400", flipped > 160 && flipped < 240);
    assertTrue(seedsDiffer);
    // A flip mirrors every row.
    ImageBatch crop = AdmCenterCrop.apply(folder.readRgb(1), RESOLUTION);
    float[] plain = new float[3 * RESOLUTION * RESOLUTION];
    float[] mirrored = new float[plain.length];
    VaeEncodedExamples.toModelInput(crop, false, plain, 0);
    VaeEncodedExamples.toModelInput(crop, true, mirrored, 0);
    for (int row = 0; row < 3 * RESOLUTION; row++) {
      for (int x = 0; x < RESOLUTION; x++) {
        assertEquals(
            plain[row * RESOLUTION + x], mirrored[row * RESOLUTION + RESOLUTION - 1 - x], 0f);
      }
    }
    assertFalse(java.util.Arrays.equals(plain, mirrored));
  }

  @Test
  public void smallImagesAreScaledUpAndCounted() {
    VaeEncodedExamples e = encode(SEED, 5);
    assertEquals(1, e.upscaled()); // d.png, 10x12
    assertThat(e.source(), containsString(folder.root().toString()));
  }

  @Test
  public void aModelWhoseInputsAreNotTheVaesLatentsIsRefused() {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                VaeEncodedExamples.encode(
                    folder,
                    vae,
                    "test-vae",
                    new int[] {1, 32, 32},
                    10,
                    SEED,
                    2,
                    VaeEncodedExamples.Progress.NONE));
    assertThat(
        e.getMessage(), containsString("4-channel latents, but the model takes 1-channel inputs"));
  }

  @Test
  public void moreClassFoldersThanModelClassesAreRefusedBeforeEncoding() throws Exception {
    Path dir = tmp.getRoot().toPath().resolve("three-classes");
    for (String c : new String[] {"x", "y", "z"})
      writePng(dir.resolve(c).resolve("i.png"), 16, 16, 0);
    ImageFolder three = ImageFolder.open(dir);
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                VaeEncodedExamples.encode(
                    three,
                    vae,
                    "test-vae",
                    MODEL_INPUT,
                    2,
                    SEED,
                    2,
                    VaeEncodedExamples.Progress.NONE));
    assertThat(
        e.getMessage(),
        containsString(dir + " has 3 class subfolders, but the model has 2 classes"));
    VaeEncodedExamples ok =
        VaeEncodedExamples.encode(
            three, vae, "test-vae", MODEL_INPUT, 3, SEED, 2, VaeEncodedExamples.Progress.NONE);
    assertArrayEquals(new int[] {0, 1, 2}, new int[] {ok.label(0), ok.label(1), ok.label(2)});
  }
}
