package org.l2cbeam.test;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.not;
import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.apache.beam.sdk.PipelineResult;
import org.junit.BeforeClass;
import org.junit.ClassRule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;
import org.l2cbeam.beam.TrainingExample;
import org.l2cbeam.beam.TrainingExampleCoder;
import org.l2cbeam.core.io.NpzFile;
import org.l2cbeam.core.io.SafetensorsWriter;
import org.l2cbeam.core.io.TensorData;
import org.l2cbeam.core.io.WeightMap;
import org.l2cbeam.core.router.ModelFamily;
import org.l2cbeam.core.router.RouterArtifact;
import org.l2cbeam.pipelines.PipelineLauncher;
import org.l2cbeam.pipelines.cli.L2c;

/**
 * The {@code sample} and {@code train-router} pipelines on a U-ViT, end to end on the build's
 * runner (DirectRunner, or embedded Flink with parallelism 2 under -Pflink), held to the CLI: the
 * small U-ViT of the test vectors (4x8x8 latents, 4 heads from a config.json beside it, 10 cache
 * units) with the small test VAE. {@code samples.npz} must equal, byte for byte, the {@code
 * images_uint8} of {@code l2c sample} for the same labels and seeds, plain and with the
 * official-format U-ViT router, whatever the batch size; the trained router's logits must equal
 * {@code l2c router train --cache-step k}'s, bit for bit, for every cache step.
 */
public class UViTPipelineIT {
  static final Path VECTORS = Path.of("../l2c-core/src/test/resources/vectors");
  static final String ROUTER = VECTORS.resolve("uvit_router_ckpt.pth").toAbsolutePath().toString();
  static final String VAE =
      VECTORS.resolve("vae-wide/vae_diffusers_layout.safetensors").toAbsolutePath().toString();

  /**
   * One forward batch of the pipeline (8 requests), so the CLI's single batch has the same shape.
   */
  private static final String LABELS = "9,2,0,7,3,3,5,1";

  private static final long SEED = 31;
  private static final int NFE = 10;

  @ClassRule public static final TemporaryFolder TMP = new TemporaryFolder();
  private static Path model;

  /** The vector model in a folder of its own, with the config.json that names its head count. */
  @BeforeClass
  public static void setUp() throws Exception {
    Path dir = TMP.newFolder("uvit").toPath();
    model = dir.resolve("uvit_model.pt");
    Files.copy(VECTORS.resolve("uvit_model.pt"), model);
    Files.writeString(dir.resolve("config.json"), "{\"num_heads\": 4}");
  }

  private static Path path(String name) {
    return TMP.getRoot().toPath().resolve(name);
  }

  private static void cli(String... args) {
    assertEquals("l2c " + String.join(" ", args), 0, L2c.execute(args));
  }

  private static byte[] cliImages(String name, String... extra) {
    Path out = path(name + ".safetensors");
    List<String> args =
        new ArrayList<>(
            List.of(
                "sample",
                "--model",
                model.toString(),
                "--steps",
                "" + NFE,
                "--labels",
                LABELS,
                "--seed",
                "" + SEED,
                "--vae",
                VAE,
                "--output",
                out.toString()));
    args.addAll(List.of(extra));
    cli(args.toArray(new String[0]));
    return bytes(WeightMap.open(out).get("images_uint8"));
  }

  private static byte[] pipelineImages(String name, String... extra) throws Exception {
    Path out = path(name);
    List<String> args = new ArrayList<>(TestRunner.args());
    args.addAll(
        List.of(
            "--model=" + model,
            "--labels=" + LABELS,
            "--seeds=" + SEED,
            "--steps=" + NFE,
            "--cfg-scale=1.4",
            "--vae=" + VAE,
            "--output=" + out));
    args.addAll(List.of(extra));
    PipelineResult result = PipelineLauncher.run("sample", args);
    assertThat(result.getState(), equalTo(PipelineResult.State.DONE));
    try (NpzFile npz = NpzFile.open(out.resolve("samples.npz"))) {
      TensorData arr = npz.read("arr_0");
      assertArrayEquals(new long[] {8, 16, 16, 3}, arr.shape());
      return bytes(arr);
    }
  }

  @Test
  public void plainSamplesEqualTheCliWhateverTheBatchSize() throws Exception {
    byte[] cli = cliImages("cli-plain");
    byte[] batch3 = pipelineImages("plain-b3", "--batch-size=3");
    byte[] batch8 = pipelineImages("plain-b8", "--batch-size=8");
    System.out.println(TestRunner.name() + " U-ViT plain samples sha256 " + sha256(batch3));
    assertThat(sha256(batch3), equalTo(sha256(cli)));
    assertThat(sha256(batch8), equalTo(sha256(cli)));
  }

  @Test
  public void routedSamplesEqualTheCliWithTheSameRouter() throws Exception {
    byte[] cli = cliImages("cli-router", "--router", ROUTER);
    byte[] got = pipelineImages("router-b4", "--router=" + ROUTER, "--batch-size=4");
    System.out.println(TestRunner.name() + " U-ViT router samples sha256 " + sha256(got));
    assertThat(sha256(got), equalTo(sha256(cli)));
    assertThat(sha256(got), not(equalTo(sha256(cliImages("cli-plain-again")))));
  }

  /**
   * Six random latents with labels, written in the order TrainRouter sorts examples (by their coder
   * bytes' hash).
   */
  private static Path latents() throws Exception {
    Random r = new Random(17);
    List<TrainingExample> examples = new ArrayList<>();
    for (int i = 0; i < 6; i++) {
      float[] x = new float[4 * 8 * 8];
      for (int j = 0; j < x.length; j++) x[j] = (float) r.nextGaussian();
      examples.add(TrainingExample.of((5 * i) % 10, 4, 8, 8, x));
    }
    examples.sort(Comparator.comparing(UViTPipelineIT::canonicalKey));
    float[] all = new float[6 * 256];
    long[] labels = new long[6];
    for (int i = 0; i < 6; i++) {
      System.arraycopy(examples.get(i).values(), 0, all, i * 256, 256);
      labels[i] = examples.get(i).label();
    }
    Map<String, TensorData> t = new LinkedHashMap<>();
    t.put("x", TensorData.ofFloats(new long[] {6, 4, 8, 8}, all));
    t.put("y", TensorData.ofLongs(new long[] {6}, labels));
    Path file = path("latents.safetensors");
    SafetensorsWriter.write(file, t, Map.of());
    return file;
  }

  private static String canonicalKey(TrainingExample e) {
    try {
      ByteArrayOutputStream b = new ByteArrayOutputStream();
      TrainingExampleCoder.of().encode(e, b);
      return sha256(b.toByteArray());
    } catch (Exception ex) {
      throw new IllegalStateException(ex);
    }
  }

  @Test
  public void trainRouterEqualsTheCliForEveryCacheStep() throws Exception {
    Path data = latents();
    int samplingSteps = 6; // DPM-Solver-2 at NFE 6: cache steps 1 and 2
    Path out = path("uvit-router.json");
    List<String> args = new ArrayList<>(TestRunner.args());
    args.addAll(
        List.of(
            "--model=" + model,
            "--data=" + data,
            "--sampling-steps=" + samplingSteps,
            "--iterations=2",
            "--batch=2",
            "--seed=4",
            "--output=" + out,
            "--checkpoint-dir=" + TMP.newFolder("ck").toPath()));
    assertThat(
        PipelineLauncher.run("train-router", args).getState(), equalTo(PipelineResult.State.DONE));
    RouterArtifact pipeline = RouterArtifact.read(out);
    assertEquals(ModelFamily.UVIT, pipeline.family());
    assertEquals(samplingSteps, pipeline.steps());

    for (int k : new int[] {1, 2}) {
      Path cliOut = path("cli-router-" + k + ".json");
      cli(
          "router",
          "train",
          "--model",
          model.toString(),
          "--data",
          data.toString(),
          "--steps",
          "2",
          "--sampling-steps",
          "" + samplingSteps,
          "--batch",
          "2",
          "--seed",
          "4",
          "--cache-step",
          "" + k,
          "--out",
          cliOut.toString());
      float[][] expected = RouterArtifact.read(cliOut).scores().logits();
      float[][] got = pipeline.scores().logits();
      assertArrayEquals("cache step " + k + ": the trained row", bits(expected[k]), bits(got[k]));
      assertArrayEquals(
          "row 0 (never trained): the seed's initial router", bits(expected[0]), bits(got[0]));
    }
  }

  private static int[] bits(float[] v) {
    int[] b = new int[v.length];
    for (int i = 0; i < v.length; i++) b[i] = Float.floatToRawIntBits(v[i]);
    return b;
  }

  private static byte[] bytes(TensorData t) {
    ByteBuffer b = t.bytes();
    byte[] out = new byte[b.remaining()];
    b.get(out);
    return out;
  }

  private static String sha256(byte[] b) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }
}
