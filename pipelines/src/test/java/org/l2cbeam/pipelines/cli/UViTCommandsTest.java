package org.l2cbeam.pipelines.cli;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;
import static org.l2cbeam.pipelines.cli.CliRun.assertClose;
import static org.l2cbeam.pipelines.cli.CliRun.assertFails;
import static org.l2cbeam.pipelines.cli.CliRun.assertOk;
import static org.l2cbeam.pipelines.cli.CliRun.assertStepsClose;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.Rule;
import org.junit.Test;
import org.l2cbeam.core.io.TensorData;
import org.l2cbeam.core.io.WeightMap;

/**
 * {@code l2c forward} and {@code l2c sample} on a U-ViT checkpoint reproduce the U-ViT vectors; bad
 * input fails.
 */
public class UViTCommandsTest {
  private static final Path VECTORS = Path.of("../l2c-core/src/test/resources/vectors");
  private static final String MODEL = VECTORS.resolve("uvit_model.pt").toString();
  private static final String ROUTER = VECTORS.resolve("uvit_router_ckpt.pth").toString();

  @Rule public final CliRun cli = new CliRun();

  private final WeightMap fwd = WeightMap.open(VECTORS.resolve("uvit_forward.safetensors"));
  private final WeightMap smp = WeightMap.open(VECTORS.resolve("uvit_sampling.safetensors"));

  private Path forwardInput() throws Exception {
    Map<String, TensorData> in = new LinkedHashMap<>();
    in.put("x", fwd.get("in.x"));
    in.put("t", fwd.get("in.t"));
    in.put("y", fwd.get("in.y"));
    return cli.write("in.safetensors", in);
  }

  @Test
  public void forwardMatchesThePlainAndGuidedReference() throws Exception {
    Path in = forwardInput();
    assertOk(
        cli.run(
            "forward",
            "--model",
            MODEL,
            "--num-heads",
            "4",
            "--input",
            in.toString(),
            "--output",
            cli.path("plain.safetensors").toString()));
    assertClose(
        "forward out",
        fwd.get("out").toFloatArray(),
        WeightMap.open(cli.path("plain.safetensors")).get("out").toFloatArray(),
        3e-5);
    assertOk(
        cli.run(
            "forward",
            "--model",
            MODEL,
            "--num-heads",
            "4",
            "--input",
            in.toString(),
            "--cfg-scale",
            "1.4",
            "--output",
            cli.path("cfg.safetensors").toString()));
    assertClose(
        "forward cfg 1.4",
        fwd.get("cfg.out").toFloatArray(),
        WeightMap.open(cli.path("cfg.safetensors")).get("out").toFloatArray(),
        3e-5);
  }

  private Path noise() throws Exception {
    return cli.write("noise.safetensors", Map.of("z", smp.get("in.z")));
  }

  @Test
  public void dpmSolverSamplingMatchesPlainAndCachedTrajectories() throws Exception {
    Path z = noise();
    assertOk(
        cli.run(
            "sample",
            "--model",
            MODEL,
            "--num-heads",
            "4",
            "--sampler",
            "dpm-solver",
            "--steps",
            "10",
            "--labels",
            "9,2",
            "--noise",
            z.toString(),
            "--cfg-scale",
            "1.4",
            "--trajectory",
            "--output",
            cli.path("plain.safetensors").toString()));
    WeightMap plain = WeightMap.open(cli.path("plain.safetensors"));
    assertClose(
        "sample plain",
        smp.get("plain.final").toFloatArray(),
        plain.get("samples").toFloatArray(),
        1e-4);
    assertEquals("DPM-Solver-2 at 10 evaluations: 5 steps", 5, plain.get("trajectory").shape()[0]);
    assertStepsClose(
        "sample plain trajectory",
        smp.get("plain.step_x").toFloatArray(),
        plain.get("trajectory").toFloatArray(),
        5,
        1e-4);
    assertOk(
        cli.run(
            "sample",
            "--model",
            MODEL,
            "--num-heads",
            "4",
            "--steps",
            "10",
            "--labels",
            "9,2",
            "--noise",
            z.toString(),
            "--router",
            ROUTER,
            "--theta",
            "0.9",
            "--output",
            cli.path("l2c.safetensors").toString()));
    WeightMap l2c = WeightMap.open(cli.path("l2c.safetensors"));
    assertClose(
        "sample l2c", smp.get("l2c.final").toFloatArray(), l2c.get("samples").toFloatArray(), 1e-4);
    assertTrue(Double.parseDouble(l2c.metadata().get("computed_unit_fraction").toString()) < 1.0);
  }

  @Test
  public void samplesAreDecodedWithUViTsQuantization() throws Exception {
    Path vae = VECTORS.resolve("vae-wide/vae_diffusers_layout.safetensors");
    assertOk(
        cli.run(
            "sample",
            "--model",
            MODEL,
            "--num-heads",
            "4",
            "--steps",
            "2",
            "--labels",
            "9,2",
            "--noise",
            noise().toString(),
            "--vae",
            vae.toString(),
            "--output",
            cli.path("img.safetensors").toString()));
    WeightMap got = WeightMap.open(cli.path("img.safetensors"));
    TensorData images = got.get("images");
    assertEquals(4, images.shape().length);
    byte[] u8 = new byte[(int) got.get("images_uint8").numel()];
    got.get("images_uint8").bytes().get(u8);
    org.junit.Assert.assertArrayEquals(
        org.l2cbeam.core.image.SampleQuantization.UVIT.toNhwc(
            images.toFloatArray(), images.shape()),
        u8);
    assertTrue(got.metadata().containsKey("decode_seconds"));
  }

  private Path latents() throws Exception {
    float[] x = new float[6 * 4 * 8 * 8];
    java.util.Random r = new java.util.Random(3);
    for (int i = 0; i < x.length; i++) x[i] = (float) r.nextGaussian();
    Map<String, TensorData> t = new LinkedHashMap<>();
    t.put("x", TensorData.ofFloats(new long[] {6, 4, 8, 8}, x));
    t.put("y", TensorData.ofLongs(new long[] {6}, new long[] {0, 1, 2, 3, 4, 5}));
    return cli.write("latents.safetensors", t);
  }

  @Test
  public void routerTrainWritesAUViTRouterThatShowAndSampleAccept() throws Exception {
    Path router = cli.path("uvit_router.json");
    String[] r =
        cli.run(
            "router",
            "train",
            "--model",
            MODEL,
            "--heads",
            "4",
            "--data",
            latents().toString(),
            "--steps",
            "3",
            "--sampling-steps",
            "10",
            "--batch",
            "2",
            "--log-every",
            "1",
            "--out",
            router.toString());
    assertOk(r);
    assertThat(r[1], containsString("U-ViT, 10 units"));
    assertOk(cli.run("router", "show", router.toString()));
    assertOk(
        cli.run(
            "sample",
            "--model",
            MODEL,
            "--num-heads",
            "4",
            "--steps",
            "10",
            "--labels",
            "9,2",
            "--noise",
            noise().toString(),
            "--router",
            router.toString(),
            "--output",
            cli.path("s.safetensors").toString()));
  }

  @Test
  public void routerTrainRejectsACacheStepWithoutRouter() throws Exception {
    String[] r =
        cli.run(
            "router",
            "train",
            "--model",
            MODEL,
            "--heads",
            "4",
            "--data",
            latents().toString(),
            "--steps",
            "1",
            "--sampling-steps",
            "10",
            "--cache-step",
            "0",
            "--out",
            cli.path("r.json").toString());
    assertFails(r, "--cache-step 0", "outer steps 1..4");
    assertFalse(Files.exists(cli.path("r.json")));
  }

  @Test
  public void oddNfeIsRejected() throws Exception {
    String[] r =
        cli.run(
            "sample",
            "--model",
            MODEL,
            "--num-heads",
            "4",
            "--sampler",
            "dpm-solver",
            "--steps",
            "9",
            "--labels",
            "1",
            "--output",
            cli.path("x.safetensors").toString());
    assertFails(r, "--steps 9", "even");
    assertFalse(Files.exists(cli.path("x.safetensors")));
  }

  @Test
  public void ditRouterOnAUViTIsRejectedNamingTheFile() throws Exception {
    String ditRouter = VECTORS.resolve("dit_router_ckpt.pt").toString();
    String[] r =
        cli.run(
            "sample",
            "--model",
            MODEL,
            "--num-heads",
            "4",
            "--steps",
            "10",
            "--labels",
            "9,2",
            "--noise",
            noise().toString(),
            "--router",
            ditRouter,
            "--output",
            cli.path("x.safetensors").toString());
    assertFails(r, "dit_router_ckpt.pt", "dit router");
    assertFalse(Files.exists(cli.path("x.safetensors")));
  }

  @Test
  public void uvitRouterOnADiTIsRejectedNamingTheFile() throws Exception {
    String[] r =
        cli.run(
            "sample",
            "--model",
            VECTORS.resolve("dit_model.pt").toString(),
            "--num-heads",
            "4",
            "--steps",
            "10",
            "--labels",
            "1",
            "--router",
            ROUTER,
            "--output",
            cli.path("x.safetensors").toString());
    assertFails(r, "uvit_router_ckpt.pth", "uvit router");
    assertFalse(Files.exists(cli.path("x.safetensors")));
  }

  @Test
  public void ditSamplerOnAUViTIsRejected() throws Exception {
    String[] r =
        cli.run(
            "sample",
            "--model",
            MODEL,
            "--num-heads",
            "4",
            "--sampler",
            "ddim",
            "--steps",
            "10",
            "--labels",
            "1",
            "--output",
            cli.path("x.safetensors").toString());
    assertFails(r, "--sampler ddim", "dpm-solver");
  }

  @Test
  public void integerTimeIsRejectedNamingTheTensor() throws Exception {
    Map<String, TensorData> in = new LinkedHashMap<>();
    in.put("x", fwd.get("in.x"));
    in.put("t", TensorData.ofLongs(new long[] {2}, new long[] {866, 766}));
    in.put("y", fwd.get("in.y"));
    Path p = cli.write("bad.safetensors", in);
    String[] r =
        cli.run(
            "forward",
            "--model",
            MODEL,
            "--num-heads",
            "4",
            "--input",
            p.toString(),
            "--output",
            cli.path("x.safetensors").toString());
    assertFails(r, "bad.safetensors", "'t'");
  }
}
