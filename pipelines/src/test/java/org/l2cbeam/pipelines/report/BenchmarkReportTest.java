package org.l2cbeam.pipelines.report;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.not;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

public class BenchmarkReportTest {
  @Rule public TemporaryFolder tmp = new TemporaryFolder();

  @Test
  public void speedupAndMacsRemovedAreRelativeToEachRowsBaseline() {
    BenchmarkReport r = PublishedDitResults.report();
    assertEquals(1.0, r.speedup(r.setting("ddim20")), 0);
    assertEquals(2.869 / 2.261, r.speedup(r.setting("ddim20-l2c")), 1e-12);
    assertEquals(7.245 / 5.568, r.speedup(r.setting("ddim50-l2c")), 1e-12);
    // The paper's "22.1% over all 20 steps", now weighted by each unit's MACs.
    assertEquals(0.2215, r.macsRemoved(r.setting("ddim20-l2c")), 5e-4);
    assertEquals(0.0, r.macsRemoved(r.setting("ddim50")), 0);
  }

  @Test
  public void tableHasOneRowPerSettingWithFormattedFigures() {
    String table = ReportMarkdown.table(PublishedDitResults.report());
    List<String> lines = table.lines().toList();
    assertEquals(2 + 4, lines.size());
    assertEquals(
        "| setting | NFE | MACs / image | MACs removed | latency / image | speedup | FID | samples |", lines.get(0));
    assertEquals("| DDIM-20 | 20 | 4744.00 G | 0.0% | 358.6 ms | 1.00x | 4.89 | 50000 |", lines.get(2));
    assertEquals(
        "| DDIM-20 + L2C θ=0.1 | 20 | 3693.04 G | 22.2% (DDIM-20) | 282.6 ms | 1.27x (DDIM-20) | 4.64 | 50000 |",
        lines.get(3));
    assertThat(lines.get(5), containsString("| 1.30x (DDIM-50) | 4.23 |"));
  }

  @Test
  public void markdownComparesL2cWithTheDdimLineAtEqualLatency() {
    String md = ReportMarkdown.render(PublishedDitResults.report());
    assertThat(md, containsString("# DiT-XL/2 256, published"));
    assertThat(md, containsString("- CFG scale: 1.5, on all channels"));
    // DDIM-20 + L2C is faster than every plain run: no made-up extrapolation.
    assertThat(md, containsString("- DDIM-20 + L2C θ=0.1: 282.6 ms/image, FID 4.64; outside the latency range"));
    // DDIM-50 + L2C sits between DDIM-20 and DDIM-50: 4.892 + (5568-2869)/(7245-2869) * (4.290-4.892) = 4.521.
    assertThat(
        md,
        containsString(
            "- DDIM-50 + L2C θ=0.1: 696.0 ms/image, FID 4.23; plain DDIM at that latency (interpolated): FID 4.52."
                + " L2C is better by 0.29 FID."));
    assertThat(md, containsString("- from the authors' README"));
  }

  @Test
  public void jsonRoundTripsAndCarriesDerivedFigures() throws Exception {
    BenchmarkReport r = PublishedDitResults.report();
    Path file = tmp.getRoot().toPath().resolve("report.json");
    Files.writeString(file, ReportJson.render(r));
    assertEquals(r, ReportJson.read(file));
    JsonObject row =
        JsonParser.parseString(Files.readString(file)).getAsJsonObject().getAsJsonArray("settings").get(1)
            .getAsJsonObject();
    assertEquals(2.869 / 2.261, row.get("speedup").getAsDouble(), 1e-12);
    assertEquals(0.1, row.get("theta").getAsDouble(), 0);
    assertThat(ReportJson.render(r).lines().findFirst().orElseThrow(), not(containsString("null")));
  }

  @Test
  public void unreadableJsonNamesTheFile() throws Exception {
    Path file = tmp.getRoot().toPath().resolve("broken-report.json");
    Files.writeString(file, "{\"title\": \"x\", \"settings\": [");
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ReportJson.read(file));
    assertThat(e.getMessage(), containsString("broken-report.json"));
    Files.writeString(file, "{\"title\": \"x\"}");
    e = assertThrows(IllegalArgumentException.class, () -> ReportJson.read(file));
    assertThat(e.getMessage(), containsString("broken-report.json"));
  }

  @Test
  public void rejectsABaselineThatIsMissingOrCached() {
    SettingResult plain = new SettingResult("ddim20", "DDIM-20", "ddim", 20, null, 1e9, 0.1, 20, 80, "ddim20");
    SettingResult orphan = new SettingResult("l2c", "L2C", "l2c", 20, 0.3, 8e8, 0.08, 21, 80, "ddim50");
    IllegalArgumentException missing =
        assertThrows(IllegalArgumentException.class, () -> report(List.of(plain, orphan)));
    assertThat(missing.getMessage(), containsString("'l2c' names baseline 'ddim50'"));
    SettingResult chained = new SettingResult("l2c2", "L2C 2", "l2c", 20, 0.5, 8e8, 0.08, 21, 80, "l2c");
    SettingResult l2c = new SettingResult("l2c", "L2C", "l2c", 20, 0.3, 8e8, 0.08, 21, 80, "ddim20");
    IllegalArgumentException cached =
        assertThrows(IllegalArgumentException.class, () -> report(List.of(plain, l2c, chained)));
    assertThat(cached.getMessage(), containsString("not a plain sampler"));
    IllegalArgumentException twice = assertThrows(IllegalArgumentException.class, () -> report(List.of(plain, plain)));
    assertThat(twice.getMessage(), containsString("'ddim20' appears twice"));
  }

  @Test
  public void rejectsInconsistentSettings() {
    IllegalArgumentException theta =
        assertThrows(
            IllegalArgumentException.class,
            () -> new SettingResult("d", "D", "ddim", 20, 0.2, 1e9, 0.1, 20, 80, "d"));
    assertThat(theta.getMessage(), containsString("setting 'd'"));
    IllegalArgumentException name =
        assertThrows(
            IllegalArgumentException.class,
            () -> new SettingResult("a/b", "D", "ddim", 20, null, 1e9, 0.1, 20, 80, "a/b"));
    assertThat(name.getMessage(), containsString("'a/b' must be file-safe"));
    IllegalArgumentException fid =
        assertThrows(
            IllegalArgumentException.class,
            () -> new SettingResult("d", "D", "ddim", 20, null, 1e9, 0.1, Double.NaN, 80, "d"));
    assertThat(fid.getMessage(), containsString("FID is NaN"));
  }

  @Test
  public void frontierChartDrawsTheDdimLineAndTheL2cPoints() throws Exception {
    Path png = tmp.getRoot().toPath().resolve("fid-vs-latency.png");
    FrontierChart.write(png, PublishedDitResults.report());
    var img = PngAssertions.read(png, 900, 600);
    assertTrue(PngAssertions.distinctColors(img) > 50);
    assertThat(PngAssertions.count(img, new java.awt.Color(31, 119, 180)), org.hamcrest.Matchers.greaterThan(300));
    // Two routers, two L2C series, each drawn as filled 12-px squares.
    assertThat(PngAssertions.count(img, new java.awt.Color(214, 39, 40)), org.hamcrest.Matchers.greaterThan(100));
    assertThat(PngAssertions.count(img, new java.awt.Color(255, 127, 14)), org.hamcrest.Matchers.greaterThan(100));
  }

  private static BenchmarkReport report(List<SettingResult> rows) {
    return new BenchmarkReport("t", "m", "s", 1.5, "r", "direct", List.of(), rows);
  }
}
