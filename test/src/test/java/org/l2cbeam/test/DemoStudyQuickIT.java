package org.l2cbeam.test;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.greaterThan;
import static org.hamcrest.Matchers.not;
import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertTrue;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import javax.imageio.ImageIO;
import org.junit.BeforeClass;
import org.junit.ClassRule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;
import org.l2cbeam.pipelines.cli.L2c;

/**
 * {@code l2c demo --study --quick}: the study's pieces at toy sizes, end to end, run in two slices
 * ({@code --max-pieces}) and then once more with nothing left to run. Checks that the slices add
 * up, that the report's numbers follow from the per-set FIDs it lists, that the best configuration
 * is the one the rule picks, and that the report is rewritten byte for byte.
 */
public class DemoStudyQuickIT {
  @ClassRule public static final TemporaryFolder TMP = new TemporaryFolder();
  private static Path out;
  private static String firstSlice;
  private static String lastRun;
  private static byte[] json;
  private static byte[] markdown;
  private static JsonObject study;

  private static String run(String... args) {
    ByteArrayOutputStream stdout = new ByteArrayOutputStream();
    PrintStream saved = System.out;
    int code;
    try (PrintStream capture = new PrintStream(stdout, true, StandardCharsets.UTF_8)) {
      System.setOut(capture);
      code = L2c.execute(args);
    } finally {
      System.setOut(saved);
    }
    String printed = stdout.toString(StandardCharsets.UTF_8);
    saved.print(printed);
    assertEquals("exit code of l2c " + String.join(" ", args), 0, code);
    return printed;
  }

  @BeforeClass
  public static void runTheStudyInSlices() throws Exception {
    out = TMP.getRoot().toPath().resolve("study");
    firstSlice = run("demo", "--study", "--quick", "--out", out.toString(), "--max-pieces", "2");
    run("demo", "--study", "--quick", "--out", out.toString());
    json = Files.readAllBytes(out.resolve("study.json"));
    markdown = Files.readAllBytes(out.resolve("study.md"));
    lastRun = run("demo", "--study", "--quick", "--out", out.toString());
    study = JsonParser.parseString(new String(json, StandardCharsets.UTF_8)).getAsJsonObject();
  }

  @Test
  public void slicesRunTheRequestedPiecesAndAFinishedStudyRunsNone() {
    assertThat(firstSlice, containsString("stopped after the requested pieces"));
    assertEquals(
        2,
        firstSlice
            .lines()
            .filter(l -> l.startsWith("[study] piece ") && l.contains(" done in "))
            .count());
    assertThat(lastRun, not(containsString("[study] piece")));
    assertThat(
        firstSlice, not(containsString("[study] redundancy"))); // measured with the report, once
    assertThat(lastRun, not(containsString("[study] redundancy")));
    assertThat(lastRun, containsString("report in " + out.resolve("study.md")));
  }

  @Test
  public void theReportIsRewrittenByteForByte() throws Exception {
    assertArrayEquals(json, Files.readAllBytes(out.resolve("study.json")));
    assertArrayEquals(markdown, Files.readAllBytes(out.resolve("study.md")));
    String md = new String(markdown, StandardCharsets.UTF_8);
    assertThat(md, containsString("## Per MAC budget: the best of each kind"));
    assertThat(md, containsString("`./l2c demo --study --quick`"));
    assertThat(
        md,
        not(
            containsString(
                out.toString()))); // options are written with OUT, not this machine's path
    for (String png : List.of("study-frontier.png", "study-loss-curves.png")) {
      BufferedImage img = ImageIO.read(out.resolve(png).toFile());
      assertNotNull(png, img);
      assertThat(img.getWidth(), greaterThan(500));
    }
  }

  @Test
  public void theReportExplainsWithTheRedundancyBetweenPairedStepsAtBothStepCounts()
      throws Exception {
    String md = new String(markdown, StandardCharsets.UTF_8);
    assertThat(md, containsString("## Why: redundancy between paired steps"));
    assertThat(md, containsString("### DDIM-6, per cache step"));
    assertThat(md, containsString("### DDIM-10, per cache step"));
    JsonObject redundancy = study.getAsJsonObject("redundancy");
    // DDIM-6 pairs 5 → 4, 3 → 2, 1 → 0; DDIM-10 five such pairs
    JsonArray ddim6 = redundancy.getAsJsonObject("ddim6").getAsJsonArray("cacheSteps");
    assertEquals(3, ddim6.size());
    assertEquals(5, redundancy.getAsJsonObject("ddim10").getAsJsonArray("cacheSteps").size());
    assertEquals(4, redundancy.getAsJsonObject("ddim6").get("requests").getAsInt());
    for (JsonElement step : ddim6) {
      for (JsonElement u : step.getAsJsonObject().getAsJsonArray("units")) {
        assertTrue(u.getAsDouble() > 0 && u.getAsDouble() < 10);
      }
    }
    // the report holds what the stored measurement holds
    JsonObject stored =
        JsonParser.parseString(Files.readString(out.resolve("redundancy/ddim6.json")))
            .getAsJsonObject()
            .getAsJsonObject("result");
    assertEquals(stored, redundancy.getAsJsonObject("ddim6"));
  }

  @Test
  public void pairedDifferencesFollowFromThePerSetFids() {
    Map<String, List<Double>> fids = new HashMap<>();
    Map<String, JsonObject> byId = new HashMap<>();
    for (JsonElement e : study.getAsJsonArray("settings")) {
      JsonObject s = e.getAsJsonObject();
      List<Double> f = new ArrayList<>();
      s.getAsJsonArray("fidPerSet").forEach(v -> f.add(v.getAsDouble()));
      fids.put(s.get("id").getAsString(), f);
      byId.put(s.get("id").getAsString(), s);
    }
    JsonArray budgets = study.getAsJsonArray("budgets");
    assertThat(budgets.size(), greaterThan(2));
    for (JsonElement b : budgets) {
      JsonObject row = b.getAsJsonObject();
      if (!row.has("bestL2c")) continue;
      List<Double> l2c = fids.get(row.get("bestL2c").getAsString());
      List<Double> plain = fids.get(row.get("bestPlain").getAsString());
      double mean = 0;
      for (int i = 0; i < l2c.size(); i++) mean += (l2c.get(i) - plain.get(i)) / l2c.size();
      assertEquals(mean, row.getAsJsonObject("deltaL2cVsPlain").get("mean").getAsDouble(), 1e-12);
      // the best of each kind spends no more than the budget
      double budget = row.get("macsPerImage").getAsDouble();
      assertTrue(
          byId.get(row.get("bestL2c").getAsString()).get("macsPerImage").getAsDouble()
              <= budget * (1 + 1e-9));
      assertTrue(
          byId.get(row.get("bestPlain").getAsString()).get("macsPerImage").getAsDouble()
              <= budget * (1 + 1e-9));
    }
  }

  @Test
  public void theFrontierBelongsToTheConfigurationWithTheLowestMeanDelta() {
    Map<String, double[]> sumAndCount = new HashMap<>();
    for (JsonElement e : study.getAsJsonArray("settings")) {
      JsonObject s = e.getAsJsonObject();
      String piece = s.get("piece").getAsString();
      if (!piece.startsWith("l2c-ddim6-")) continue; // the screened routers of the main step count
      double[] acc =
          sumAndCount.computeIfAbsent(
              s.getAsJsonObject("configuration").get("id").getAsString(), k -> new double[2]);
      acc[0] += s.getAsJsonObject("deltaVsPairedWith").get("mean").getAsDouble();
      acc[1]++;
    }
    String best =
        sumAndCount.entrySet().stream()
            .min(java.util.Comparator.comparingDouble(en -> en.getValue()[0] / en.getValue()[1]))
            .orElseThrow()
            .getKey();
    assertEquals(best, study.get("bestConfiguration").getAsString());
    assertTrue(Files.isRegularFile(out.resolve("pieces/frontier-ddim6/report.json")));
  }
}
