package org.l2cbeam.core.router.train;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import java.nio.file.Path;
import org.junit.Test;
import org.l2cbeam.core.TestResources;
import org.l2cbeam.core.assets.BuiltinAssets;
import org.l2cbeam.core.data.FashionMnist;
import org.l2cbeam.core.io.WeightMap;
import org.l2cbeam.core.model.DiTConfig;
import org.l2cbeam.core.model.DiTLoader;

public class TrainingDataTest {
  private static final Path FMNIST = BuiltinAssets.resolve(FashionMnist.BUILTIN);

  @Test
  public void fashionMnistIsScaledAndPaddedForTheBundledDiT() {
    WeightMap w = DiTLoader.stateDict("builtin:fmnist-dit");
    DiTConfig config = DiTLoader.config("builtin:fmnist-dit", w, -1);
    TrainingExamples e = TrainingData.open(FMNIST, config);
    assertArrayEquals(new int[] {1, 32, 32}, e.exampleShape());
    assertTrue(e.size() >= 1000);
    float[] x = new float[32 * 32];
    e.copyExample(0, x, 0);
    for (int i = 0; i < 32; i++) {
      assertEquals(-1f, x[i], 0f); // top padding row
      assertEquals(-1f, x[i * 32], 0f); // left padding column
      assertEquals(-1f, x[31 * 32 + i], 0f);
    }
    float min = 1;
    float max = -1;
    for (float v : x) {
      min = Math.min(min, v);
      max = Math.max(max, v);
    }
    assertTrue(min >= -1f && max <= 1f && max > 0);
    // The first training image of Fashion-MNIST is an ankle boot (class 9).
    assertEquals(9, e.label(0));
    // u8 / 127.5 - 1 inside the padding.
    byte[] pixels = FashionMnist.open(FMNIST).images(FashionMnist.Split.TRAIN).slice(0, 1).pixels();
    assertEquals((pixels[14 * 28 + 14] & 0xff) / 127.5f - 1f, x[16 * 32 + 16], 0f);
  }

  @Test
  public void imagesOfTheWrongSizeForTheModelAreNamed() {
    WeightMap w = WeightMap.open(TestResources.vector("dit_model.safetensors"));
    DiTConfig latentModel = DiTConfig.infer(w, 4);
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> TrainingData.open(FMNIST, latentModel));
    assertThat(e.getMessage(), containsString(FMNIST.toString()));
    assertThat(e.getMessage(), containsString("1x28x28"));
    assertThat(e.getMessage(), containsString("4x8x8"));
  }

  @Test
  public void aFolderOfImagesNeedsAVae() throws Exception {
    Path dir = java.nio.file.Files.createTempDirectory("l2c-images");
    try {
      VaeEncodedExamplesTest.writePng(dir.resolve("cat").resolve("a.png"), 16, 16, 0);
      DiTConfig latentModel =
          DiTConfig.infer(WeightMap.open(TestResources.vector("dit_model.safetensors")), 4);
      IllegalArgumentException e =
          assertThrows(IllegalArgumentException.class, () -> TrainingData.open(dir, latentModel));
      assertThat(e.getMessage(), containsString("--data " + dir + " is a folder of image files"));
      assertThat(e.getMessage(), containsString("4x8x8"));
      assertThat(e.getMessage(), containsString("pass --vae VAE"));
    } finally {
      try (java.util.stream.Stream<Path> walk = java.nio.file.Files.walk(dir)) {
        walk.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      }
    }
  }

  @Test
  public void otherFilesAreRejectedWithTheOptionNamed() {
    WeightMap w = WeightMap.open(TestResources.vector("dit_model.safetensors"));
    DiTConfig config = DiTConfig.infer(w, 4);
    Path missing = Path.of("/nonexistent/data.bin");
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> TrainingData.open(missing, config));
    assertThat(e.getMessage(), containsString("--data " + missing));
  }
}
