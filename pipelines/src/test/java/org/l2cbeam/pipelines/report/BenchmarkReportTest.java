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
        "| setting | NFE | MACs / image | MACs removed | latency / image | speedup | FID | Δ FID vs same-MAC DDIM"
            + " | samples |",
        lines.get(0));
    assertEquals(
        "| DDIM-20 | 20 | 4744.00 G | 0.0% | 358.6 ms | 1.00x | 4.89 |  | 50000 |", lines.get(2));
    assertEquals(
        "| DDIM-20 + L2C θ=0.1 | 20 | 3693.04 G | 22.2% (DDIM-20) | 282.6 ms | 1.27x (DDIM-20) | 4.64 |  | 50000 |",
        lines.get(3));
    assertThat(lines.get(5), containsString("| 1.30x (DDIM-50) | 4.23 |  |"));
  }

  @Test
  public void markdownComparesL2cWithTheDdimLineAtEqualLatency() {
    String md = ReportMarkdown.render(PublishedDitResults.report());
    assertThat(md, containsString("# DiT-XL/2 256, published"));
    assertThat(md, containsString("- CFG scale: 1.5, on all channels"));
    // DDIM-20 + L2C is faster than every plain run: no made-up extrapolation.
    assertThat(
        md,
        containsString(
            "- DDIM-20 + L2C θ=0.1: 282.6 ms/image, FID 4.64; outside the latency range"));
    // DDIM-50 + L2C sits between DDIM-20 and DDIM-50: 4.892 + (5568-2869)/(7245-2869) *
    // (4.290-4.892) = 4.521.
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
        JsonParser.parseString(Files.readString(file))
            .getAsJsonObject()
            .getAsJsonArray("settings")
            .get(1)
            .getAsJsonObject();
    assertEquals(2.869 / 2.261, row.get("speedup").getAsDouble(), 1e-12);
    assertEquals(0.1, row.get("theta").getAsDouble(), 0);
    assertThat(ReportJson.render(r).lines().findFirst().orElseThrow(), not(containsString("null")));
  }

  @Test
  public void unreadableJsonNamesTheFile() throws Exception {
    Path file = tmp.getRoot().toPath().resolve("broken-report.json");
    Files.writeString(file, "{\"title\": \"x\", \"settings\": [");
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> ReportJson.read(file));
    assertThat(e.getMessage(), containsString("broken-report.json"));
    Files.writeString(file, "{\"title\": \"x\"}");
    e = assertThrows(IllegalArgumentException.class, () -> ReportJson.read(file));
    assertThat(e.getMessage(), containsString("broken-report.json"));
  }

  @Test
  public void rejectsABaselineThatIsMissingOrCached() {
    SettingResult plain =
        new SettingResult("ddim20", "DDIM-20", "ddim", 20, null, 1e9, 0.1, 20, 80, "ddim20");
    SettingResult orphan =
        new SettingResult("l2c", "L2C", "l2c", 20, 0.3, 8e8, 0.08, 21, 80, "ddim50");
    IllegalArgumentException missing =
        assertThrows(IllegalArgumentException.class, () -> report(List.of(plain, orphan)));
    assertThat(missing.getMessage(), containsString("'l2c' names baseline 'ddim50'"));
    SettingResult chained =
        new SettingResult("l2c2", "L2C 2", "l2c", 20, 0.5, 8e8, 0.08, 21, 80, "l2c");
    SettingResult l2c =
        new SettingResult("l2c", "L2C", "l2c", 20, 0.3, 8e8, 0.08, 21, 80, "ddim20");
    IllegalArgumentException cached =
        assertThrows(IllegalArgumentException.class, () -> report(List.of(plain, l2c, chained)));
    assertThat(cached.getMessage(), containsString("not a plain sampler"));
    IllegalArgumentException twice =
        assertThrows(IllegalArgumentException.class, () -> report(List.of(plain, plain)));
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
    assertThat(
        PngAssertions.count(img, new java.awt.Color(31, 119, 180)),
        org.hamcrest.Matchers.greaterThan(300));
    // Two routers, two L2C series, each drawn as filled 12-px squares.
    assertThat(
        PngAssertions.count(img, new java.awt.Color(214, 39, 40)),
        org.hamcrest.Matchers.greaterThan(100));
    assertThat(
        PngAssertions.count(img, new java.awt.Color(255, 127, 14)),
        org.hamcrest.Matchers.greaterThan(100));
  }

  /** Three request sets: DDIM-20, DDIM-15 and an L2C setting paired with DDIM-15. */
  private static BenchmarkReport threeSets() {
    SettingResult ddim20 =
        new SettingResult(
            "ddim20",
            "DDIM-20",
            "ddim",
            20,
            null,
            4e9,
            0.2,
            18.0,
            100,
            "ddim20",
            List.of(17.0, 18.0, 19.0),
            null);
    SettingResult ddim15 =
        new SettingResult(
            "ddim15",
            "DDIM-15",
            "ddim",
            15,
            null,
            3e9,
            0.15,
            19.0,
            100,
            "ddim20",
            List.of(18.0, 19.5, 19.5),
            null);
    SettingResult l2c =
        new SettingResult(
            "ddim20-l2c25",
            "DDIM-20 + L2C θ=0.5",
            "l2c",
            20,
            0.5,
            3e9,
            0.14,
            20.6,
            100,
            "ddim20",
            List.of(19.8, 21.0, 21.0),
            "ddim15");
    SettingResult units =
        new SettingResult(
            "ddim20-units25",
            "DDIM-20 + same units 25%",
            "same-units",
            20,
            null,
            3e9,
            0.16,
            19.0,
            100,
            "ddim20",
            List.of(18.0, 19.4, 19.6),
            "ddim15");
    return new BenchmarkReport(
        "t", "m", "s", 1.5, "r", "direct", List.of(), List.of(ddim20, l2c, units, ddim15), "c");
  }

  @Test
  public void repeatedRequestSetsGiveMeansStandardErrorsAndPairedDifferences() {
    BenchmarkReport r = threeSets();
    Estimate fid = r.setting("ddim20").fidEstimate();
    assertEquals(18.0, fid.mean(), 1e-12);
    assertEquals(Math.sqrt(1.0 / 3), fid.standardError(), 1e-12); // sd 1 over sqrt(3)
    // L2C − DDIM-15 per set: 1.8, 1.5, 1.5
    Estimate d = r.pairedDifference(r.setting("ddim20-l2c25")).orElseThrow();
    assertEquals(1.6, d.mean(), 1e-12);
    assertEquals(0.1, d.standardError(), 1e-12);
    assertTrue(d.clearOfZero());
    assertTrue(r.pairedDifference(r.setting("ddim20")).isEmpty());
    // the non-learned schedule: 0, -0.1, 0.1, no clear difference
    assertTrue(!r.pairedDifference(r.setting("ddim20-units25")).orElseThrow().clearOfZero());
    assertTrue(Double.isNaN(Estimate.of(List.of(3.0)).standardError()));
    // 3 sets: Student's t with 2 degrees of freedom, 4.303, not 1.96
    assertEquals(4.303 * 0.1, d.halfWidth95(), 1e-12);
    assertEquals(1.96 + 2.4 / 100, Estimate.studentT975(100), 0);
  }

  @Test
  public void theTableAndTheMarkdownShowErrorBarsAndThePairedVerdict() {
    BenchmarkReport r = threeSets();
    List<String> lines = ReportMarkdown.table(r).lines().toList();
    assertEquals(
        "| DDIM-20 | 20 | 4.00 G | 0.0% | 200.0 ms | 1.00x | 18.00 ± 0.58 |  | 3 × 100 |",
        lines.get(2));
    assertThat(lines.get(3), containsString("| 20.60 ± 0.40 | +1.60 ± 0.10 (DDIM-15) | 3 × 100 |"));
    String md = ReportMarkdown.render(r);
    assertThat(md, containsString("FID is the mean over 3 request sets ± its standard error"));
    assertThat(
        md,
        containsString(
            "- DDIM-20 + L2C θ=0.5 (25.0% of the MACs removed) against DDIM-15 (25.0%): Δ FID"
                + " +1.60 ± 0.10 over 3 request sets: worse, zero outside the 95% interval (±0.43)."));
    assertThat(
        md,
        containsString(
            "- DDIM-20 + same units 25% (25.0% of the MACs removed) against DDIM-15 (25.0%):"
                + " Δ FID +0.00 ± 0.06 over 3 request sets: no clear difference, zero inside the 95% interval (±0.25)."));
    assertThat(md, containsString("The non-learned schedule is"));
  }

  @Test
  public void requestSetsRoundTripThroughJsonAndOlderReportsStillRead() throws Exception {
    BenchmarkReport r = threeSets();
    assertEquals(r, ReportJson.parse(ReportJson.render(r), "report.json"));
    // A report of an older l2c: no fidPerSet, no pairing, no conditions.
    String old =
        "{\"title\": \"t\", \"model\": \"m\", \"referenceStats\": \"s\", \"cfgScale\": 1.5,"
            + " \"requests\": \"r\", \"runner\": \"direct\", \"notes\": [], \"settings\": [{\"name\": \"ddim20\","
            + " \"label\": \"DDIM-20\", \"method\": \"ddim\", \"steps\": 20, \"macsPerImage\": 4e9,"
            + " \"secondsPerImage\": 0.2, \"fid\": 17.95, \"samples\": 300, \"baseline\": \"ddim20\"}]}";
    BenchmarkReport read = ReportJson.parse(old, "old.json");
    assertEquals(List.of(17.95), read.setting("ddim20").fidPerSet());
    assertEquals(1, read.requestSets());
    assertThat(r.measurement().incomparability(read.measurement()), containsString("not recorded"));
    assertEquals(null, r.measurement().incomparability(threeSets().measurement()));
    Measurement other = new Measurement("m", "s", 1.5, "r", "model batch 50");
    assertThat(
        r.measurement().incomparability(other),
        containsString("conditions 'model batch 50' are not 'c'"));
  }

  @Test
  public void rejectsSettingsOnDifferentRequestSetsOrABadPartner() {
    BenchmarkReport r = threeSets();
    SettingResult oneSet =
        new SettingResult("ddim10", "DDIM-10", "ddim", 10, null, 2e9, 0.1, 21, 100, "ddim20");
    List<SettingResult> rows = new java.util.ArrayList<>(r.settings());
    rows.add(oneSet);
    assertThat(
        assertThrows(IllegalArgumentException.class, () -> report(rows)).getMessage(),
        containsString("every setting of a report samples the same requests"));
    SettingResult ddim20 = r.setting("ddim20");
    SettingResult paired =
        new SettingResult(
            "ddim20-l2c25",
            "L",
            "l2c",
            20,
            0.5,
            3e9,
            0.14,
            20.0,
            100,
            "ddim20",
            List.of(19.5, 20.0, 20.5),
            "ddim12");
    assertThat(
        assertThrows(IllegalArgumentException.class, () -> report(List.of(ddim20, paired)))
            .getMessage(),
        containsString("paired with 'ddim12', which is not in the report"));
    assertThat(
        assertThrows(
                IllegalArgumentException.class,
                () ->
                    new SettingResult(
                        "d",
                        "D",
                        "ddim",
                        20,
                        null,
                        1e9,
                        0.1,
                        20,
                        80,
                        "d",
                        List.of(20.0, Double.NaN),
                        null))
            .getMessage(),
        containsString("finite FID"));
  }

  private static BenchmarkReport report(List<SettingResult> rows) {
    return new BenchmarkReport("t", "m", "s", 1.5, "r", "direct", List.of(), rows);
  }
}
