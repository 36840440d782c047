package org.l2cbeam.pipelines.cli;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.startsWith;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/**
 * {@code l2c router show|convert}, {@code l2c inspect} on torch checkpoints, and {@code l2c bench
 * load}.
 */
public class RouterCommandTest {
  /** The l2c-core copies of the official routers and fixtures (a clean clone is self-contained). */
  private static final Path RESOURCES = Path.of("../l2c-core/src/test/resources");

  private static final Path DDIM20 = RESOURCES.resolve("routers/DDIM20_router.pt");
  private static final Path DPM20 = RESOURCES.resolve("routers/dpm20_router.pth");

  @Rule public TemporaryFolder tmp = new TemporaryFolder();

  /** Exit code, stdout, stderr. */
  private static String[] run(String... args) {
    return CliRun.codeOutErr(args);
  }

  private static List<String> lines(String s) {
    return Arrays.asList(s.split("\n"));
  }

  @Test
  public void showPrintsOneLinePerCacheStepThenTheSummary() {
    String[] r = run("router", "show", DDIM20.toString(), "--theta", "0.1");
    assertEquals(r[2], "0", r[0]);
    List<String> out = lines(r[1]);
    assertEquals(11, out.size());
    assertEquals("k 0 active 56/56 mask " + "1".repeat(56), out.get(0));
    assertEquals(
        "k 10 active 26/56 mask 00011101000010101010000000101000101010100011001111111111",
        out.get(5));
    assertEquals("k 18 active 0/56 mask " + "0".repeat(56), out.get(9));
    assertEquals(
        "removed 248/560 in cache steps (44.29%), 248/1120 over all 20 steps (22.14%)",
        out.get(10));
  }

  @Test
  public void showUsesUViTPairing() {
    String[] r = run("router", "show", DPM20.toString(), "--theta", "0.9", "--model", "uvit");
    assertEquals(r[2], "0", r[0]);
    List<String> out = lines(r[1]);
    assertEquals(10, out.size());
    assertThat(out.get(0), startsWith("k 1 active 0/58 mask "));
    assertEquals(
        "k 9 active 50/58 mask 1111111111111111111110111001110011110111111111111111111100",
        out.get(8));
    assertEquals(
        "removed 333/522 in cache steps (63.79%), 333/1160 over all 20 steps (28.71%)", out.get(9));
  }

  @Test
  public void aRouterWithTheWrongUnitCountForTheModelIsAClearError() {
    String[] r = run("router", "show", DDIM20.toString(), "--theta", "0.1", "--model", "uvit");
    assertEquals("2", r[0]);
    assertThat(r[2], containsString("l2c: error: " + DDIM20));
    assertThat(r[2], containsString("56 units cannot be a U-ViT"));
    String[] r2 = run("router", "show", DPM20.toString(), "--model", "dit");
    assertEquals("2", r2[0]);
    assertThat(r2[2], containsString(DPM20.toString()));
    assertThat(r2[2], containsString("does not fit a dit model"));
    String[] r3 = run("router", "show", DDIM20.toString(), "--model", "unet");
    assertEquals("2", r3[0]);
    assertThat(r3[2], containsString("unknown model family 'unet'"));
  }

  @Test
  public void convertWritesJsonThatShowsTheSameSchedule() throws Exception {
    Path json = tmp.getRoot().toPath().resolve("ddim20.json");
    String[] c = run("router", "convert", DDIM20.toString(), "--out", json.toString());
    assertEquals(c[2], "0", c[0]);
    assertThat(c[1], containsString("wrote " + json));
    assertThat(Files.readString(json), containsString("\"modelFingerprint\": \"unknown\""));
    String[] fromJson = run("router", "show", json.toString());
    String[] fromPt = run("router", "show", DDIM20.toString(), "--theta", "0.1");
    assertEquals(fromPt[1], fromJson[1]);
  }

  @Test
  public void convertOfANonRouterFileFailsAndLeavesNothingBehind() throws Exception {
    Path json = tmp.getRoot().toPath().resolve("out.json");
    Path model = RESOURCES.resolve("vectors/dit_model.safetensors");
    String[] r = run("router", "convert", model.toString(), "--out", json.toString());
    assertEquals("2", r[0]);
    assertThat(r[2], containsString(model.toString()));
    assertThat(r[2], containsString("no router scores found"));
    try (var files = Files.list(tmp.getRoot().toPath())) {
      assertEquals(0, files.count());
    }
  }

  @Test
  public void inspectReadsTorchCheckpointsAndPrintsArgsInTheMetaLine() {
    String[] r = run("inspect", RESOURCES.resolve("checkpoints/training_layout.pt").toString());
    assertEquals(r[2], "0", r[0]);
    List<String> out = lines(r[1]);
    assertThat(
        out.get(0),
        startsWith(
            "{\"name\":\"model.blocks.0.attn.qkv.weight\",\"dtype\":\"F32\",\"shape\":[2,3]"));
    String meta = out.get(out.size() - 1);
    assertThat(meta, startsWith("{\"meta\":"));
    assertThat(meta, containsString("\"args\":{\"model\":\"DiT-S/2\""));
  }

  @Test
  public void inspectRefusesAForbiddenPickleGlobal() {
    Path bad = RESOURCES.resolve("checkpoints/bad_global_os_system.pt");
    String[] r = run("inspect", bad.toString());
    assertEquals("2", r[0]);
    assertThat(r[2], containsString(bad.toString()));
    assertThat(r[2], containsString("'posix.system' is not on the allow-list"));
  }

  @Test
  public void benchLoadRunsOnASmallFileAndCleansUp() throws Exception {
    Path dir = tmp.newFolder("bench").toPath();
    String[] r = run("bench", "load", "--gib", "0.05", "--dir", dir.toString(), "--repeat", "1");
    assertEquals(r[2], "0", r[0]);
    assertThat(r[1], containsString("run 1: open+validate"));
    try (var files = Files.list(dir)) {
      assertFalse("the generated file is deleted", files.findAny().isPresent());
    }
  }
}
