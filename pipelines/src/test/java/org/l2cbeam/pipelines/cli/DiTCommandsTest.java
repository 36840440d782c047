package org.l2cbeam.pipelines.cli;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertFalse;
import static org.l2cbeam.pipelines.cli.CliRun.assertClose;
import static org.l2cbeam.pipelines.cli.CliRun.assertFails;
import static org.l2cbeam.pipelines.cli.CliRun.assertOk;
import static org.l2cbeam.pipelines.cli.CliRun.assertStepsClose;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.Rule;
import org.junit.Test;
import org.l2cbeam.core.io.TensorData;
import org.l2cbeam.core.io.WeightMap;

/**
 * {@code l2c forward} and {@code l2c sample} reproduce the DiT reference vectors; bad input fails
 * clearly.
 */
public class DiTCommandsTest {
  private static final Path VECTORS = Path.of("../l2c-core/src/test/resources/vectors");

  /** The torch.save twin of dit_model.safetensors: the CLI reads the original format. */
  private static final String MODEL = VECTORS.resolve("dit_model.pt").toString();

  private static final double FORWARD = 3e-5;
  private static final double TRAJECTORY = 1e-4;

  /** Values in one 4x8x8 latent. */
  private static final int LATENT = 4 * 8 * 8;

  @Rule public final CliRun cli = new CliRun();

  private final WeightMap fwd = WeightMap.open(VECTORS.resolve("dit_forward.safetensors"));
  private final WeightMap smp = WeightMap.open(VECTORS.resolve("dit_sampling.safetensors"));

  /** The plain forward's inputs x, t, y (in.x, in.t, in.y), as a map to add tensors to. */
  private Map<String, TensorData> forwardInputs() {
    Map<String, TensorData> in = new LinkedHashMap<>();
    in.put("x", fwd.get("in.x"));
    in.put("t", fwd.get("in.t"));
    in.put("y", fwd.get("in.y"));
    return in;
  }

  /**
   * The conditional half of the sampling vectors' noise (in.z holds cond then uncond latents) as a
   * --noise file. Its labels are the first two of in.y: {@link #conditionalLabels()}.
   */
  private Path conditionalNoise() throws Exception {
    float[] z2 = smp.get("in.z").toFloatArray();
    TensorData z = TensorData.ofFloats(new long[] {2, 4, 8, 8}, Arrays.copyOf(z2, 2 * LATENT));
    return cli.write("z.safetensors", Map.of("z", z));
  }

  /** --labels for {@link #conditionalNoise()}. */
  private String conditionalLabels() {
    long[] y2 = smp.get("in.y").toLongArray();
    return y2[0] + "," + y2[1];
  }

  private static TensorData doubled(TensorData t) {
    long[] s = t.shape();
    s[0] *= 2;
    if (t.dtype().isFloating()) {
      float[] v = t.toFloatArray();
      float[] d = Arrays.copyOf(v, 2 * v.length);
      System.arraycopy(v, 0, d, v.length, v.length);
      return TensorData.ofFloats(s, d);
    }
    long[] v = t.toLongArray();
    long[] d = Arrays.copyOf(v, 2 * v.length);
    System.arraycopy(v, 0, d, v.length, v.length);
    return TensorData.ofLongs(s, d);
  }

  @Test
  public void forwardReproducesThePlainOutput() throws Exception {
    Path input = cli.write("in.safetensors", forwardInputs());
    assertOk(
        cli.run(
            "forward",
            "--model",
            MODEL,
            "--num-heads",
            "4",
            "--input",
            input.toString(),
            "--output",
            cli.path("out.safetensors").toString()));
    TensorData got = WeightMap.open(cli.path("out.safetensors")).get("out");
    assertArrayEquals(fwd.get("out").shape(), got.shape());
    assertClose("forward out", fwd.get("out").toFloatArray(), got.toFloatArray(), FORWARD);
  }

  @Test
  public void forwardWithCfgScaleReproducesForwardWithCfg() throws Exception {
    Map<String, TensorData> in = new LinkedHashMap<>();
    in.put("x", doubled(fwd.get("in.x")));
    in.put("t", doubled(fwd.get("in.t")));
    in.put("y", fwd.get("cfg.y"));
    Path input = cli.write("in.safetensors", in);
    assertOk(
        cli.run(
            "forward",
            "--model",
            MODEL,
            "--num-heads",
            "4",
            "--cfg-scale",
            "4",
            "--guided-channels",
            "3",
            "--input",
            input.toString(),
            "--output",
            cli.path("cfg.safetensors").toString()));
    assertClose(
        "cfg.out",
        fwd.get("cfg.out").toFloatArray(),
        WeightMap.open(cli.path("cfg.safetensors")).get("out").toFloatArray(),
        FORWARD);
  }

  @Test
  public void forwardWithCacheMaskReproducesTheL2cFullAndCacheSteps() throws Exception {
    Map<String, TensorData> in = new LinkedHashMap<>();
    in.put("x", fwd.get("in.x"));
    in.put("t", fwd.get("l2c.t_full"));
    in.put("y", fwd.get("in.y"));
    in.put("x2", fwd.get("in.x2"));
    in.put("t_cache", fwd.get("l2c.t_cache"));
    Path input = cli.write("in.safetensors", in);
    StringBuilder bits = new StringBuilder();
    for (long b : fwd.get("l2c.compute_mask").toLongArray()) bits.append(b);
    assertOk(
        cli.run(
            "forward",
            "--model",
            MODEL,
            "--num-heads",
            "4",
            "--cache-mask",
            bits.toString(),
            "--input",
            input.toString(),
            "--output",
            cli.path("l2c.safetensors").toString()));
    WeightMap got = WeightMap.open(cli.path("l2c.safetensors"));
    assertClose(
        "l2c.out_full",
        fwd.get("l2c.out_full").toFloatArray(),
        got.get("out").toFloatArray(),
        FORWARD);
    assertClose(
        "l2c.out_cache",
        fwd.get("l2c.out_cache").toFloatArray(),
        got.get("out_cache").toFloatArray(),
        FORWARD);
  }

  @Test
  public void sampleReproducesTheDdimTrajectory() throws Exception {
    assertOk(
        cli.run(
            "sample",
            "--model",
            MODEL,
            "--num-heads",
            "4",
            "--steps",
            "10",
            "--sampler",
            "ddim",
            "--cfg-scale",
            "1.5",
            "--guided-channels",
            "3",
            "--labels",
            conditionalLabels(),
            "--seed",
            "0",
            "--noise",
            conditionalNoise().toString(),
            "--trajectory",
            "--output",
            cli.path("ddim.safetensors").toString()));
    WeightMap got = WeightMap.open(cli.path("ddim.safetensors"));
    assertArrayEquals(new long[] {2, 4, 8, 8}, got.get("samples").shape());
    assertClose(
        "ddim.final[cond]",
        Arrays.copyOf(smp.get("ddim.final").toFloatArray(), 2 * LATENT),
        got.get("samples").toFloatArray(),
        TRAJECTORY);
    float[] refTraj =
        smp.get("ddim.samples").toFloatArray(); // [10, 4, ...]: keep the conditional rows
    float[] cond = new float[10 * 2 * LATENT];
    for (int s = 0; s < 10; s++)
      System.arraycopy(refTraj, s * 4 * LATENT, cond, s * 2 * LATENT, 2 * LATENT);
    assertArrayEquals(new long[] {10, 2, 4, 8, 8}, got.get("trajectory").shape());
    assertStepsClose(
        "ddim trajectory[cond]", cond, got.get("trajectory").toFloatArray(), 10, TRAJECTORY);
  }

  @Test
  public void sampleWithTheRouterReproducesTheCachedDdimTrajectory() throws Exception {
    assertOk(
        cli.run(
            "sample",
            "--model",
            MODEL,
            "--num-heads",
            "4",
            "--steps",
            "10",
            "--sampler",
            "ddim",
            "--cfg-scale",
            "1.5",
            "--labels",
            conditionalLabels(),
            "--noise",
            conditionalNoise().toString(),
            "--router",
            VECTORS.resolve("dit_router_ckpt.pt").toString(),
            "--theta",
            "0.1",
            "--output",
            cli.path("l2c.safetensors").toString()));
    assertClose(
        "l2c_ddim.final[cond]",
        Arrays.copyOf(smp.get("l2c_ddim.final").toFloatArray(), 2 * LATENT),
        WeightMap.open(cli.path("l2c.safetensors")).get("samples").toFloatArray(),
        TRAJECTORY);
  }

  @Test
  public void routerForAnotherStepCountIsRejected() {
    String[] r =
        cli.run(
            "sample",
            "--model",
            MODEL,
            "--num-heads",
            "4",
            "--steps",
            "8",
            "--labels",
            "1",
            "--router",
            VECTORS.resolve("dit_router_ckpt.pt").toString(),
            "--output",
            cli.path("r.safetensors").toString());
    assertFails(r, "dit_router_ckpt.pt", "--steps is 8");
    assertFalse(Files.exists(cli.path("r.safetensors")));
  }

  @Test
  public void seededDdpmSampleIsReproducibleAndIndependentOfBatching() throws Exception {
    String[] common = {
      "sample",
      "--model",
      MODEL,
      "--num-heads",
      "4",
      "--steps",
      "6",
      "--sampler",
      "ddpm",
      "--cfg-scale",
      "2"
    };
    assertOk(
        cli.run(
            concat(
                common,
                "--labels",
                "3,1",
                "--seed",
                "5",
                "--output",
                cli.path("a.safetensors").toString())));
    assertOk(
        cli.run(
            concat(
                common,
                "--labels",
                "1",
                "--seed",
                "6",
                "--output",
                cli.path("b.safetensors").toString())));
    float[] a = WeightMap.open(cli.path("a.safetensors")).get("samples").toFloatArray();
    float[] b = WeightMap.open(cli.path("b.safetensors")).get("samples").toFloatArray();
    // Sample 1 of the first run (seed 5+1) is the only sample of the second run (seed 6).
    assertClose("seeded sample vs batch", Arrays.copyOfRange(a, b.length, 2 * b.length), b, 1e-5);
  }

  @Test
  public void labelsOutOfRangeAreRejected() {
    String[] r =
        cli.run(
            "sample",
            "--model",
            MODEL,
            "--num-heads",
            "4",
            "--steps",
            "4",
            "--labels",
            "3,10",
            "--output",
            cli.path("x.safetensors").toString());
    assertFails(r, "label 10", "classes 0..9");
    assertFalse(Files.exists(cli.path("x.safetensors")));
  }

  @Test
  public void wrongLatentSizeIsRejectedNamingTheFile() throws Exception {
    Map<String, TensorData> noise = new LinkedHashMap<>();
    noise.put("z", TensorData.ofFloats(new long[] {1, 4, 16, 16}, new float[4 * 16 * 16]));
    Path z = cli.write("z16.safetensors", noise);
    String[] r =
        cli.run(
            "sample",
            "--model",
            MODEL,
            "--num-heads",
            "4",
            "--steps",
            "4",
            "--labels",
            "3",
            "--noise",
            z.toString(),
            "--output",
            cli.path("x.safetensors").toString());
    assertFails(r, "z16.safetensors", "[1, 4, 8, 8]");
    assertFalse(Files.exists(cli.path("x.safetensors")));

    Map<String, TensorData> in = new LinkedHashMap<>();
    in.put("x", TensorData.ofFloats(new long[] {1, 4, 16, 16}, new float[4 * 16 * 16]));
    in.put("t", TensorData.ofLongs(new long[] {1}, new long[] {5}));
    in.put("y", TensorData.ofLongs(new long[] {1}, new long[] {2}));
    Path input = cli.write("x16.safetensors", in);
    r =
        cli.run(
            "forward",
            "--model",
            MODEL,
            "--num-heads",
            "4",
            "--input",
            input.toString(),
            "--output",
            cli.path("y.safetensors").toString());
    assertFails(r, "x16.safetensors", "expects [N, 4, 8, 8]");
    assertFalse(Files.exists(cli.path("y.safetensors")));
  }

  @Test
  public void badCacheMaskAndMissingTensorsAreRejected() throws Exception {
    Map<String, TensorData> in = forwardInputs();
    Path input = cli.write("in.safetensors", in);
    String[] r =
        cli.run(
            "forward",
            "--model",
            MODEL,
            "--num-heads",
            "4",
            "--cache-mask",
            "1010",
            "--input",
            input.toString(),
            "--output",
            cli.path("o.safetensors").toString());
    assertFails(r, "'x2'"); // --cache-mask needs x2 and t_cache
    in.put("x2", fwd.get("in.x2"));
    in.put("t_cache", fwd.get("l2c.t_cache"));
    input = cli.write("in2.safetensors", in);
    r =
        cli.run(
            "forward",
            "--model",
            MODEL,
            "--num-heads",
            "4",
            "--cache-mask",
            "1010",
            "--input",
            input.toString(),
            "--output",
            cli.path("o.safetensors").toString());
    assertFails(r, "--cache-mask must be 8 characters");
    assertFalse(Files.exists(cli.path("o.safetensors")));
  }

  @Test
  public void unknownHeadCountAsksForIt() throws Exception {
    String[] r =
        cli.run(
            "sample",
            "--model",
            MODEL,
            "--steps",
            "4",
            "--labels",
            "1",
            "--output",
            cli.path("h.safetensors").toString());
    assertFails(r, "dit_model.pt", "--num-heads");
  }

  private static String[] concat(String[] a, String... b) {
    String[] r = Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, r, a.length, b.length);
    return r;
  }
}
