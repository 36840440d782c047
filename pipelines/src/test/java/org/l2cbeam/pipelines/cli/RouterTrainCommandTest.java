package org.l2cbeam.pipelines.cli;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;
import org.l2cbeam.core.io.SafetensorsWriter;
import org.l2cbeam.core.io.TensorData;
import org.l2cbeam.core.router.RouterArtifact;
import org.l2cbeam.core.router.train.RouterCheckpoint;

/** {@code l2c router train} and {@code l2c router theta}. */
public class RouterTrainCommandTest {
  private static final Path RESOURCES = Path.of("../l2c-core/src/test/resources");
  private static final Path MODEL = RESOURCES.resolve("vectors/dit_model.safetensors");
  private static final Path DDIM20 = RESOURCES.resolve("routers/DDIM20_router.pt");

  @Rule public TemporaryFolder tmp = new TemporaryFolder();

  private static String[] run(String... args) {
    return CliRun.codeOutErr(args);
  }

  /** n latents of shape [c, side, side] with labels {@code label(i)}. */
  private Path latents(String name, int n, int c, int side, long label) throws Exception {
    float[] x = new float[n * c * side * side];
    for (int i = 0; i < x.length; i++) x[i] = (float) Math.sin(i * 0.37);
    long[] y = new long[n];
    for (int i = 0; i < n; i++) y[i] = label >= 0 ? label : i % 10;
    Map<String, TensorData> t = new LinkedHashMap<>();
    t.put("x", TensorData.ofFloats(new long[] {n, c, side, side}, x));
    t.put("y", TensorData.ofLongs(new long[] {n}, y));
    Path file = tmp.getRoot().toPath().resolve(name);
    SafetensorsWriter.write(file, t);
    return file;
  }

  private String[] train(Path data, Path out, String... extra) {
    List<String> args =
        new java.util.ArrayList<>(
            Arrays.asList(
                "router",
                "train",
                "--model",
                MODEL.toString(),
                "--heads",
                "4",
                "--data",
                data.toString(),
                "--sampling-steps",
                "10",
                "--batch",
                "2",
                "--seed",
                "3",
                "--log-every",
                "1",
                "--checkpoint-every",
                "2",
                "--out",
                out.toString()));
    args.addAll(Arrays.asList(extra));
    return run(args.toArray(new String[0]));
  }

  @Test
  public void trainsWritesTheRouterAndResumes() throws Exception {
    Path data = latents("lat.safetensors", 8, 4, 8, -1);
    Path out = tmp.getRoot().toPath().resolve("r.json");
    String[] r = train(data, out, "--steps", "3");
    assertEquals(r[2], "0", r[0]);
    assertThat(r[2], containsString("step 3/3  loss "));
    assertThat(r[2], containsString(" it/s"));
    assertThat(r[1], containsString("k 0 active "));
    RouterArtifact a = RouterArtifact.read(out);
    assertEquals(10, a.steps());
    assertEquals(3, ((Number) a.provenance().training.get("steps")).intValue());
    // The authors' README value for 10 DDIM steps, not the argparse default 1.0.
    assertEquals(1e-6, ((Number) a.provenance().training.get("lambda")).doubleValue(), 0);
    Path ckpt = RouterCheckpoint.besideOutput(out);
    assertEquals(3, RouterCheckpoint.read(ckpt).state().iteration());

    String[] again = train(data, out, "--steps", "5", "--resume");
    assertEquals(again[2], "0", again[0]);
    assertEquals(5, RouterCheckpoint.read(ckpt).state().iteration());
    assertFalse(again[2].contains("step 3/5"));
    assertThat(again[2], containsString("step 5/5"));
  }

  @Test
  public void trainsTheBundledFashionMnistDiTOnAnIdxDirectory() throws Exception {
    Path idx = org.l2cbeam.core.assets.BuiltinAssets.resolve("builtin:fashion-mnist");
    Path out = tmp.getRoot().toPath().resolve("fm.json");
    String[] r =
        run(
            "router",
            "train",
            "--model",
            "builtin:fmnist-dit",
            "--data",
            idx.toString(),
            "--steps",
            "2",
            "--batch",
            "2",
            "--out",
            out.toString());
    assertEquals(r[2], "0", r[0]);
    assertThat(r[2], containsString("step 2/2"));
    RouterArtifact a = RouterArtifact.read(out);
    assertEquals(20, a.steps());
    assertEquals(16, a.scores().units());
    assertEquals(5e-6, ((Number) a.provenance().training.get("lambda")).doubleValue(), 0);
  }

  @Test
  public void wrongImageSizeIsAnErrorNamingTheData() throws Exception {
    Path data = latents("small.safetensors", 4, 4, 6, -1);
    Path out = tmp.getRoot().toPath().resolve("r.json");
    String[] r = train(data, out, "--steps", "2");
    assertEquals("2", r[0]);
    assertThat(r[2], containsString("l2c: error: training data " + data));
    assertThat(r[2], containsString("4x6x6"));
    assertFalse(Files.exists(out));
  }

  @Test
  public void labelOutOfRangeIsAnErrorNamingTheData() throws Exception {
    Path data = latents("labels.safetensors", 4, 4, 8, 10);
    Path out = tmp.getRoot().toPath().resolve("r.json");
    String[] r = train(data, out, "--steps", "2");
    assertEquals("2", r[0]);
    assertThat(r[2], containsString(data.toString()));
    assertThat(r[2], containsString("label 10"));
    assertFalse(Files.exists(out));
  }

  @Test
  public void emptyDataIsAnError() throws Exception {
    Path data = latents("empty.safetensors", 0, 4, 8, -1);
    Path out = tmp.getRoot().toPath().resolve("r.json");
    String[] r = train(data, out, "--steps", "2");
    assertEquals("2", r[0]);
    assertThat(r[2], containsString(data.toString()));
    assertThat(r[2], containsString("empty"));
  }

  @Test
  public void cacheStepMustBeACacheStep() throws Exception {
    Path data = latents("lat.safetensors", 4, 4, 8, -1);
    String[] r =
        train(data, tmp.getRoot().toPath().resolve("r.json"), "--steps", "2", "--cache-step", "3");
    assertEquals("2", r[0]);
    assertThat(r[2], containsString("--cache-step 3"));
  }

  @Test
  public void thetaMeetsASpeedupOnTheOfficialRouter() {
    String[] r = run("router", "theta", DDIM20.toString(), "--speedup", "1.25");
    assertEquals(r[2], "0", r[0]);
    List<String> out = Arrays.asList(r[1].split("\n"));
    assertThat(out.get(0), containsString("theta "));
    assertThat(out.get(1), containsString("removed "));
    assertEquals(2 + 10 + 1, out.size());
    double removed = Double.parseDouble(out.get(1).replaceAll("^removed ([0-9.]+)%.*", "$1"));
    assertTrue("removed " + removed, removed >= 20.0);
  }

  @Test
  public void thetaRefusesAnUnreachableBudget() {
    String[] r = run("router", "theta", DDIM20.toString(), "--remove-macs", "0.6");
    assertEquals("2", r[0]);
    assertThat(r[2], containsString("--remove-macs 0.6"));
    assertThat(r[2], containsString("not reachable"));
  }
}
