package org.l2cbeam.pipelines.cli;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;
import org.l2cbeam.core.io.SafetensorsWriter;
import org.l2cbeam.core.io.TensorData;
import org.l2cbeam.core.io.WeightMap;

/** {@code l2c forward} and {@code l2c sample} reproduce the DiT reference vectors; bad input fails clearly. */
public class DiTCommandsTest {
  private static final Path VECTORS = Path.of("../l2c-core/src/test/resources/vectors");
  /** The torch.save twin of dit_model.safetensors: the CLI reads the original format. */
  private static final String MODEL = VECTORS.resolve("dit_model.pt").toString();
  private static final double FORWARD = 3e-5;
  private static final double TRAJECTORY = 1e-4;

  @Rule public TemporaryFolder tmp = new TemporaryFolder();

  private final WeightMap fwd = WeightMap.open(VECTORS.resolve("dit_forward.safetensors"));
  private final WeightMap smp = WeightMap.open(VECTORS.resolve("dit_sampling.safetensors"));

  private Path write(String file, Map<String, TensorData> tensors) throws Exception {
    Path p = tmp.getRoot().toPath().resolve(file);
    SafetensorsWriter.write(p, tensors);
    return p;
  }

  private Path out(String name) {
    return tmp.getRoot().toPath().resolve(name);
  }

  /** Runs the CLI; returns {exit code, stderr}. */
  private static String[] run(String... args) {
    return CliRun.codeErr(args);
  }


  private static void assertOk(String[] r) {
    assertEquals("exit code; stderr: " + r[1], "0", r[0]);
  }

  private static void assertClose(String what, float[] expected, float[] actual, double tol) {
    assertEquals(what + " length", expected.length, actual.length);
    double maxRef = 0;
    double maxDiff = 0;
    for (int i = 0; i < expected.length; i++) {
      maxRef = Math.max(maxRef, Math.abs(expected[i]));
      maxDiff = Math.max(maxDiff, Math.abs((double) expected[i] - actual[i]));
    }
    double rel = maxDiff / maxRef;
    System.out.printf("cli parity %-30s rel.err %.3e%n", what, rel);
    assertTrue(what + ": relative error " + rel, rel <= tol);
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
    Map<String, TensorData> in = new LinkedHashMap<>();
    in.put("x", fwd.get("in.x"));
    in.put("t", fwd.get("in.t"));
    in.put("y", fwd.get("in.y"));
    Path input = write("in.safetensors", in);
    assertOk(run("forward", "--model", MODEL, "--num-heads", "4", "--input", input.toString(), "--output",
        out("out.safetensors").toString()));
    TensorData got = WeightMap.open(out("out.safetensors")).get("out");
    assertArrayEquals(fwd.get("out").shape(), got.shape());
    assertClose("forward out", fwd.get("out").toFloatArray(), got.toFloatArray(), FORWARD);
  }

  @Test
  public void forwardWithCfgScaleReproducesForwardWithCfg() throws Exception {
    Map<String, TensorData> in = new LinkedHashMap<>();
    in.put("x", doubled(fwd.get("in.x")));
    in.put("t", doubled(fwd.get("in.t")));
    in.put("y", fwd.get("cfg.y"));
    Path input = write("in.safetensors", in);
    assertOk(run("forward", "--model", MODEL, "--num-heads", "4", "--cfg-scale", "4", "--guided-channels", "3",
        "--input", input.toString(), "--output", out("cfg.safetensors").toString()));
    assertClose("cfg.out", fwd.get("cfg.out").toFloatArray(),
        WeightMap.open(out("cfg.safetensors")).get("out").toFloatArray(), FORWARD);
  }

  @Test
  public void forwardWithCacheMaskReproducesTheL2cFullAndCacheSteps() throws Exception {
    Map<String, TensorData> in = new LinkedHashMap<>();
    in.put("x", fwd.get("in.x"));
    in.put("t", fwd.get("l2c.t_full"));
    in.put("y", fwd.get("in.y"));
    in.put("x2", fwd.get("in.x2"));
    in.put("t_cache", fwd.get("l2c.t_cache"));
    Path input = write("in.safetensors", in);
    StringBuilder bits = new StringBuilder();
    for (long b : fwd.get("l2c.compute_mask").toLongArray()) bits.append(b);
    assertOk(run("forward", "--model", MODEL, "--num-heads", "4", "--cache-mask", bits.toString(), "--input",
        input.toString(), "--output", out("l2c.safetensors").toString()));
    WeightMap got = WeightMap.open(out("l2c.safetensors"));
    assertClose("l2c.out_full", fwd.get("l2c.out_full").toFloatArray(), got.get("out").toFloatArray(), FORWARD);
    assertClose("l2c.out_cache", fwd.get("l2c.out_cache").toFloatArray(), got.get("out_cache").toFloatArray(), FORWARD);
  }

  @Test
  public void sampleReproducesTheDdimTrajectory() throws Exception {
    float[] z2 = smp.get("in.z").toFloatArray();
    long[] y2 = smp.get("in.y").toLongArray();
    int per = 4 * 8 * 8;
    Map<String, TensorData> noise = new LinkedHashMap<>();
    noise.put("z", TensorData.ofFloats(new long[] {2, 4, 8, 8}, Arrays.copyOf(z2, 2 * per)));
    Path z = write("z.safetensors", noise);
    assertOk(run("sample", "--model", MODEL, "--num-heads", "4", "--steps", "10", "--sampler", "ddim",
        "--cfg-scale", "1.5", "--guided-channels", "3", "--labels", y2[0] + "," + y2[1], "--seed", "0",
        "--noise", z.toString(), "--trajectory", "--output", out("ddim.safetensors").toString()));
    WeightMap got = WeightMap.open(out("ddim.safetensors"));
    assertArrayEquals(new long[] {2, 4, 8, 8}, got.get("samples").shape());
    assertClose("ddim.final[cond]", Arrays.copyOf(smp.get("ddim.final").toFloatArray(), 2 * per),
        got.get("samples").toFloatArray(), TRAJECTORY);
    float[] refTraj = smp.get("ddim.samples").toFloatArray(); // [10, 4, ...]: keep the conditional rows
    float[] cond = new float[10 * 2 * per];
    for (int s = 0; s < 10; s++) System.arraycopy(refTraj, s * 4 * per, cond, s * 2 * per, 2 * per);
    assertArrayEquals(new long[] {10, 2, 4, 8, 8}, got.get("trajectory").shape());
    assertClose("ddim trajectory[cond]", cond, got.get("trajectory").toFloatArray(), TRAJECTORY);
  }

  @Test
  public void sampleWithTheRouterReproducesTheCachedDdimTrajectory() throws Exception {
    float[] z2 = smp.get("in.z").toFloatArray();
    long[] y2 = smp.get("in.y").toLongArray();
    int per = 4 * 8 * 8;
    Map<String, TensorData> noise = new LinkedHashMap<>();
    noise.put("z", TensorData.ofFloats(new long[] {2, 4, 8, 8}, Arrays.copyOf(z2, 2 * per)));
    Path z = write("z.safetensors", noise);
    assertOk(run("sample", "--model", MODEL, "--num-heads", "4", "--steps", "10", "--sampler", "ddim",
        "--cfg-scale", "1.5", "--labels", y2[0] + "," + y2[1], "--noise", z.toString(),
        "--router", VECTORS.resolve("dit_router_ckpt.pt").toString(), "--theta", "0.1",
        "--output", out("l2c.safetensors").toString()));
    assertClose("l2c_ddim.final[cond]", Arrays.copyOf(smp.get("l2c_ddim.final").toFloatArray(), 2 * per),
        WeightMap.open(out("l2c.safetensors")).get("samples").toFloatArray(), TRAJECTORY);
  }

  @Test
  public void routerForAnotherStepCountIsRejected() {
    String[] r = run("sample", "--model", MODEL, "--num-heads", "4", "--steps", "8", "--labels", "1",
        "--router", VECTORS.resolve("dit_router_ckpt.pt").toString(), "--output", out("r.safetensors").toString());
    assertEquals("2", r[0]);
    assertThat(r[1], containsString("dit_router_ckpt.pt"));
    assertThat(r[1], containsString("--steps is 8"));
    assertFalse(Files.exists(out("r.safetensors")));
  }

  @Test
  public void seededDdpmSampleIsReproducibleAndIndependentOfBatching() throws Exception {
    String[] common = {"sample", "--model", MODEL, "--num-heads", "4", "--steps", "6", "--sampler", "ddpm",
        "--cfg-scale", "2"};
    assertOk(run(concat(common, "--labels", "3,1", "--seed", "5", "--output", out("a.safetensors").toString())));
    assertOk(run(concat(common, "--labels", "1", "--seed", "6", "--output", out("b.safetensors").toString())));
    float[] a = WeightMap.open(out("a.safetensors")).get("samples").toFloatArray();
    float[] b = WeightMap.open(out("b.safetensors")).get("samples").toFloatArray();
    // Sample 1 of the first run (seed 5+1) is the only sample of the second run (seed 6).
    assertClose("seeded sample vs batch", Arrays.copyOfRange(a, b.length, 2 * b.length), b, 1e-5);
  }

  @Test
  public void labelsOutOfRangeAreRejected() {
    String[] r = run("sample", "--model", MODEL, "--num-heads", "4", "--steps", "4", "--labels", "3,10",
        "--output", out("x.safetensors").toString());
    assertEquals("2", r[0]);
    assertThat(r[1], containsString("label 10"));
    assertThat(r[1], containsString("classes 0..9"));
    assertFalse(Files.exists(out("x.safetensors")));
  }

  @Test
  public void wrongLatentSizeIsRejectedNamingTheFile() throws Exception {
    Map<String, TensorData> noise = new LinkedHashMap<>();
    noise.put("z", TensorData.ofFloats(new long[] {1, 4, 16, 16}, new float[4 * 16 * 16]));
    Path z = write("z16.safetensors", noise);
    String[] r = run("sample", "--model", MODEL, "--num-heads", "4", "--steps", "4", "--labels", "3",
        "--noise", z.toString(), "--output", out("x.safetensors").toString());
    assertEquals("2", r[0]);
    assertThat(r[1], containsString("z16.safetensors"));
    assertThat(r[1], containsString("[1, 4, 8, 8]"));
    assertFalse(Files.exists(out("x.safetensors")));

    Map<String, TensorData> in = new LinkedHashMap<>();
    in.put("x", TensorData.ofFloats(new long[] {1, 4, 16, 16}, new float[4 * 16 * 16]));
    in.put("t", TensorData.ofLongs(new long[] {1}, new long[] {5}));
    in.put("y", TensorData.ofLongs(new long[] {1}, new long[] {2}));
    Path input = write("x16.safetensors", in);
    r = run("forward", "--model", MODEL, "--num-heads", "4", "--input", input.toString(), "--output",
        out("y.safetensors").toString());
    assertEquals("2", r[0]);
    assertThat(r[1], containsString("x16.safetensors"));
    assertThat(r[1], containsString("expects [N, 4, 8, 8]"));
    assertFalse(Files.exists(out("y.safetensors")));
  }

  @Test
  public void badCacheMaskAndMissingTensorsAreRejected() throws Exception {
    Map<String, TensorData> in = new LinkedHashMap<>();
    in.put("x", fwd.get("in.x"));
    in.put("t", fwd.get("in.t"));
    in.put("y", fwd.get("in.y"));
    Path input = write("in.safetensors", in);
    String[] r = run("forward", "--model", MODEL, "--num-heads", "4", "--cache-mask", "1010", "--input",
        input.toString(), "--output", out("o.safetensors").toString());
    assertEquals("2", r[0]);
    assertThat(r[1], containsString("'x2'")); // --cache-mask needs x2 and t_cache
    in.put("x2", fwd.get("in.x2"));
    in.put("t_cache", fwd.get("l2c.t_cache"));
    input = write("in2.safetensors", in);
    r = run("forward", "--model", MODEL, "--num-heads", "4", "--cache-mask", "1010", "--input",
        input.toString(), "--output", out("o.safetensors").toString());
    assertEquals("2", r[0]);
    assertThat(r[1], containsString("--cache-mask must be 8 characters"));
    assertFalse(Files.exists(out("o.safetensors")));
  }

  @Test
  public void unknownHeadCountAsksForIt() throws Exception {
    String[] r = run("sample", "--model", MODEL, "--steps", "4", "--labels", "1", "--output",
        out("h.safetensors").toString());
    assertEquals("2", r[0]);
    assertThat(r[1], containsString("dit_model.pt"));
    assertThat(r[1], containsString("--num-heads"));
  }

  private static String[] concat(String[] a, String... b) {
    String[] r = Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, r, a.length, b.length);
    return r;
  }
}
