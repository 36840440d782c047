package org.l2cbeam.pipelines.cli;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;
import org.l2cbeam.core.image.SampleQuantization;
import org.l2cbeam.core.io.TensorData;
import org.l2cbeam.core.io.WeightMap;
import org.l2cbeam.core.runtime.Torch;
import org.l2cbeam.core.vae.AutoencoderKL;

/**
 * {@code l2c sample --vae}: the sampled latents decoded to float and uint8 images after sampling.
 */
public class SampleVaeTest {
  private static final Path VECTORS = Path.of("../l2c-core/src/test/resources/vectors");
  private static final String MODEL = VECTORS.resolve("dit_model.pt").toString();

  /**
   * 4-channel latents like the test DiT's; downsampling factor 2, so 8×8 latents become 16×16
   * images.
   */
  private static final Path VAE = VECTORS.resolve("vae-wide/vae_diffusers_layout.safetensors");

  @Rule public TemporaryFolder tmp = new TemporaryFolder();

  private static String[] run(String... args) {
    return CliRun.codeErr(args);
  }

  @Test
  public void samplesAreDecodedToImages() throws Exception {
    Path out = tmp.getRoot().toPath().resolve("samples.safetensors");
    String[] r =
        run(
            "sample",
            "--model",
            MODEL,
            "--num-heads",
            "4",
            "--steps",
            "4",
            "--labels",
            "3,1",
            "--seed",
            "2",
            "--vae",
            VAE.toString(),
            "--output",
            out.toString());
    assertEquals(r[1], "0", r[0]);
    WeightMap got = WeightMap.open(out);
    TensorData images = got.get("images");
    assertArrayEquals(new long[] {2, 3, 16, 16}, images.shape());
    try (NDManager m = Torch.newManager();
        AutoencoderKL vae = AutoencoderKL.load(VAE)) {
      NDArray expected = vae.decode(got.get("samples").toNDArray(m));
      CliRun.assertClose("decoded images", expected.toFloatArray(), images.toFloatArray(), 1e-6);
    }
    assertArrayEquals(new long[] {2, 16, 16, 3}, got.get("images_uint8").shape());
    byte[] u8 = new byte[(int) got.get("images_uint8").numel()];
    got.get("images_uint8").bytes().get(u8);
    assertArrayEquals(SampleQuantization.DIT.toNhwc(images.toFloatArray(), images.shape()), u8);
    assertTrue(got.metadata().containsKey("decode_seconds"));
    assertTrue(got.metadata().containsKey("sampling_seconds"));
  }

  @Test
  public void aFileThatIsNotAVaeFailsBeforeSampling() {
    Path out = tmp.getRoot().toPath().resolve("never.safetensors");
    String[] r =
        run(
            "sample",
            "--model",
            MODEL,
            "--num-heads",
            "4",
            "--steps",
            "4",
            "--labels",
            "1",
            "--vae",
            MODEL,
            "--output",
            out.toString());
    assertEquals("2", r[0]);
    assertThat(
        r[1],
        containsString(MODEL + ": not a Stable-Diffusion VAE checkpoint in either weight layout"));
    assertFalse(Files.exists(out));
  }
}
