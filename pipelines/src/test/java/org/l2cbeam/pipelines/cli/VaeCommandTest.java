package org.l2cbeam.pipelines.cli;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;
import org.l2cbeam.core.io.SafetensorsWriter;
import org.l2cbeam.core.io.TensorData;
import org.l2cbeam.core.io.WeightMap;

/** {@code l2c vae decode|encode} against the reference vectors, and their bad-input errors. */
public class VaeCommandTest {
  /** The l2c-core copies of the vectors (a clean clone is self-contained). */
  private static final Path VECTORS = Path.of("../l2c-core/src/test/resources/vectors/vae-wide");

  private static final Path LDM = VECTORS.resolve("vae_model.safetensors");
  private static final Path DIFFUSERS = VECTORS.resolve("vae_diffusers_layout.safetensors");

  @Rule public TemporaryFolder tmp = new TemporaryFolder();

  private final WeightMap ref = WeightMap.open(VECTORS.resolve("vae_vectors.safetensors"));

  private Path write(String file, Map<String, TensorData> tensors) throws Exception {
    Path p = tmp.getRoot().toPath().resolve(file);
    SafetensorsWriter.write(p, tensors);
    return p;
  }

  private static String[] run(String... args) {
    return CliRun.codeErr(args);
  }

  private static void assertClose(String what, TensorData expected, TensorData actual) {
    assertArrayEquals(what + " shape", expected.shape(), actual.shape());
    CliRun.assertClose(what, expected.toFloatArray(), actual.toFloatArray(), 1e-5);
  }

  @Test
  public void decodeWritesImagesFromScaledLatents() throws Exception {
    Path in = write("z.safetensors", Map.of("z", ref.get("input.z")));
    for (Path model : new Path[] {LDM, DIFFUSERS}) {
      Path out = tmp.getRoot().toPath().resolve("images-" + model.getFileName());
      String[] r =
          run(
              "vae",
              "decode",
              "--model",
              model.toString(),
              "--input",
              in.toString(),
              "--output",
              out.toString(),
              "--batch-size",
              "1");
      assertEquals(r[1], "0", r[0]);
      assertClose(
          "decode " + model.getFileName(), ref.get("decode"), WeightMap.open(out).get("images"));
    }
  }

  @Test
  public void encodeWritesMomentsAndScaledLatent() throws Exception {
    Map<String, TensorData> inputs = new LinkedHashMap<>();
    inputs.put("x", ref.get("input.x"));
    inputs.put("noise", ref.get("input.noise"));
    Path in = write("x.safetensors", inputs);
    Path out = tmp.getRoot().toPath().resolve("latents.safetensors");
    String[] r =
        run(
            "vae",
            "encode",
            "--model",
            DIFFUSERS.toString(),
            "--input",
            in.toString(),
            "--output",
            out.toString());
    assertEquals(r[1], "0", r[0]);
    WeightMap o = WeightMap.open(out);
    assertClose("mean", ref.get("moments.mean"), o.get("mean"));
    assertClose("logvar", ref.get("moments.logvar"), o.get("logvar"));
    assertClose("latent", ref.get("encode"), o.get("latent"));

    Path onlyX = write("x-only.safetensors", Map.of("x", ref.get("input.x")));
    Path out2 = tmp.getRoot().toPath().resolve("moments.safetensors");
    r =
        run(
            "vae",
            "encode",
            "--model",
            LDM.toString(),
            "--input",
            onlyX.toString(),
            "--output",
            out2.toString(),
            "--batch-size",
            "1");
    assertEquals(r[1], "0", r[0]);
    assertEquals(java.util.Set.of("mean", "logvar"), WeightMap.open(out2).names());
  }

  @Test
  public void latentWithWrongChannelCountNamesFileAndTensor() throws Exception {
    Path in =
        write(
            "z3.safetensors",
            Map.of("z", TensorData.ofFloats(new long[] {1, 3, 8, 8}, new float[192])));
    Path out = tmp.getRoot().toPath().resolve("never.safetensors");
    String[] r =
        run(
            "vae",
            "decode",
            "--model",
            LDM.toString(),
            "--input",
            in.toString(),
            "--output",
            out.toString());
    assertEquals("2", r[0]);
    assertThat(r[1], containsString("l2c: error: " + in + ": tensor 'z': latent has 3 channels"));
    assertThat(r[1], containsString("expects 4 (embed_dim)"));
    assertFalse("no partial output", Files.exists(out));
  }

  @Test
  public void imageSizeNotDivisibleNamesFileAndTensor() throws Exception {
    Path in =
        write(
            "x15.safetensors",
            Map.of("x", TensorData.ofFloats(new long[] {1, 3, 15, 16}, new float[720])));
    Path out = tmp.getRoot().toPath().resolve("never.safetensors");
    String[] r =
        run(
            "vae",
            "encode",
            "--model",
            LDM.toString(),
            "--input",
            in.toString(),
            "--output",
            out.toString());
    assertEquals("2", r[0]);
    assertThat(
        r[1],
        containsString(
            in
                + ": tensor 'x': image size 15x16 (H x W) is not divisible by the downsampling factor 2"));
    assertFalse(Files.exists(out));
  }

  @Test
  public void missingInputTensorAndWrongNoiseShape() throws Exception {
    Path in = write("nothing.safetensors", Map.of("latents", ref.get("input.z")));
    Path out = tmp.getRoot().toPath().resolve("never.safetensors");
    String[] r =
        run(
            "vae",
            "decode",
            "--model",
            LDM.toString(),
            "--input",
            in.toString(),
            "--output",
            out.toString());
    assertEquals("2", r[0]);
    assertThat(
        r[1],
        containsString(
            in + ": no tensor 'z' (scaled latents [N, 4, h, w]); the file has [latents]"));

    Map<String, TensorData> inputs = new LinkedHashMap<>();
    inputs.put("x", ref.get("input.x"));
    inputs.put("noise", TensorData.ofFloats(new long[] {2, 4, 4, 4}, new float[128]));
    Path badNoise = write("badnoise.safetensors", inputs);
    r =
        run(
            "vae",
            "encode",
            "--model",
            LDM.toString(),
            "--input",
            badNoise.toString(),
            "--output",
            out.toString());
    assertEquals("2", r[0]);
    assertThat(
        r[1],
        containsString(
            badNoise
                + ": tensor 'noise' has shape [2, 4, 4, 4], the latent of 'x' [2, 3, 16, 16] is [2, 4, 8, 8]"));
    assertFalse(Files.exists(out));
  }

  @Test
  public void checkpointInNeitherLayoutListsWhatIsMissing() throws Exception {
    Path notVae =
        write("not-a-vae.safetensors", Map.of("x_embedder.proj.weight", ref.get("input.z")));
    Path in = write("z.safetensors", Map.of("z", ref.get("input.z")));
    Path out = tmp.getRoot().toPath().resolve("never.safetensors");
    String[] r =
        run(
            "vae",
            "decode",
            "--model",
            notVae.toString(),
            "--input",
            in.toString(),
            "--output",
            out.toString());
    assertEquals("2", r[0]);
    assertThat(
        r[1],
        containsString(notVae + ": not a Stable-Diffusion VAE checkpoint in either weight layout"));
    assertThat(
        r[1],
        containsString(
            "LDM layout (U-ViT autoencoder_kl_ema.pth) is missing [encoder.conv_in.weight"));
    assertThat(r[1], containsString("x_embedder.proj.weight"));
    assertFalse(Files.exists(out));
  }
}
