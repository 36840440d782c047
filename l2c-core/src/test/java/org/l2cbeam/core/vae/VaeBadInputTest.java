package org.l2cbeam.core.vae;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.junit.Assert.assertThrows;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import org.junit.AfterClass;
import org.junit.BeforeClass;
import org.junit.Test;
import org.l2cbeam.core.TestResources;
import org.l2cbeam.core.runtime.Torch;

/**
 * Inputs the model cannot take fail before any compute, naming the VAE file and what was expected.
 */
public class VaeBadInputTest {
  private static AutoencoderKL vae;

  @BeforeClass
  public static void load() {
    vae = AutoencoderKL.load(TestResources.vector("vae-wide/vae_model.safetensors"));
  }

  @AfterClass
  public static void close() {
    vae.close();
  }

  @Test
  public void latentWithWrongChannelCount() {
    try (NDManager m = Torch.newManager()) {
      IllegalArgumentException e =
          assertThrows(
              IllegalArgumentException.class, () -> vae.decode(m.zeros(new Shape(1, 8, 8, 8))));
      assertThat(e.getMessage(), containsString("latent has 8 channels but VAE"));
      assertThat(
          e.getMessage(), containsString("vae-wide/vae_model.safetensors expects 4 (embed_dim)"));
    }
  }

  @Test
  public void imageSizeNotDivisibleByTheDownsamplingFactor() {
    try (NDManager m = Torch.newManager()) {
      IllegalArgumentException e =
          assertThrows(
              IllegalArgumentException.class,
              () -> vae.encodeMoments(m.zeros(new Shape(1, 3, 16, 15))));
      assertThat(
          e.getMessage(),
          containsString("image size 16x15 (H x W) is not divisible by the downsampling factor 2"));
      assertThat(e.getMessage(), containsString("vae_model.safetensors"));
    }
  }

  @Test
  public void imageWithWrongChannelCount() {
    try (NDManager m = Torch.newManager()) {
      IllegalArgumentException e =
          assertThrows(
              IllegalArgumentException.class,
              () -> vae.encodeMoments(m.zeros(new Shape(1, 1, 16, 16))));
      assertThat(e.getMessage(), containsString("images must be [N, 3, H, W]"));
    }
  }

  @Test
  public void noiseOfWrongShape() {
    try (NDManager m = Torch.newManager()) {
      IllegalArgumentException e =
          assertThrows(
              IllegalArgumentException.class,
              () -> vae.encode(m.zeros(new Shape(2, 3, 16, 16)), m.zeros(new Shape(2, 4, 4, 4))));
      assertThat(
          e.getMessage(),
          containsString(
              "noise has shape (2, 4, 4, 4) but the posterior mean has shape (2, 4, 8, 8)"));
    }
  }
}
