package org.l2cbeam.test;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.beam.sdk.PipelineResult;
import org.junit.AfterClass;
import org.junit.BeforeClass;
import org.junit.ClassRule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;
import org.l2cbeam.beam.SampleRequest;
import org.l2cbeam.core.model.DiT;
import org.l2cbeam.core.model.DiTLoader;
import org.l2cbeam.core.router.CacheSchedule;
import org.l2cbeam.core.router.ModelFamily;
import org.l2cbeam.core.router.UniformSchedule;
import org.l2cbeam.core.runtime.Torch;
import org.l2cbeam.pipelines.PipelineLauncher;
import org.l2cbeam.pipelines.report.BenchmarkReport;
import org.l2cbeam.pipelines.report.ReportJson;
import org.l2cbeam.pipelines.report.SettingResult;

/**
 * The {@code benchmark} pipeline with repeated request sets, the non-learned schedules and known
 * results, on the build's runner: each set's FID equals the bare sampler's on that set's requests,
 * a second run takes the plain settings from the first instead of sampling them and reproduces the
 * cached ones bit for bit, and a report measured differently is refused.
 */
public class BenchmarkRequestSetsIT {
  private static final String MODEL = "builtin:fmnist-dit";
  private static final int STEPS = 6;
  private static final int PER_SET = 10;
  private static final int SETS = 2;
  private static final int BATCH = 5;
  private static final double CFG = 1.5;
  private static final long SEED = 3;

  @ClassRule public static final TemporaryFolder TMP = new TemporaryFolder();
  private static Path first;
  private static Path second;
  private static BenchmarkReport report;
  private static BenchmarkReport again;
  private static DiT dit;

  private static List<String> args(Path out, String methods, String known) {
    return args(out, methods, known, PER_SET);
  }

  private static List<String> args(Path out, String methods, String known, int perSet) {
    List<String> args = new ArrayList<>(TestRunner.args());
    args.addAll(
        List.of(
            "--model=" + MODEL,
            "--stepCounts=" + STEPS,
            "--methods=" + methods,
            "--macsRemoved=0.4",
            "--requestSets=" + SETS,
            "--samplesPerSetting=" + perSet,
            "--seed=" + SEED,
            "--cfgScale=" + CFG,
            "--modelBatch=" + BATCH,
            "--output=" + out));
    if (known != null) args.add("--knownResults=" + known);
    return args;
  }

  @BeforeClass
  public static void runTwice() throws Exception {
    first = TMP.getRoot().toPath().resolve("first");
    PipelineResult result =
        PipelineLauncher.run("benchmark", args(first, "same-units,whole-steps", null));
    assertThat(result.getState(), equalTo(PipelineResult.State.DONE));
    report = ReportJson.read(first.resolve("report.json"));
    second = TMP.getRoot().toPath().resolve("second");
    result =
        PipelineLauncher.run(
            "benchmark", args(second, "whole-steps", first.resolve("report.json").toString()));
    assertThat(result.getState(), equalTo(PipelineResult.State.DONE));
    again = ReportJson.read(second.resolve("report.json"));
    dit = DiTLoader.load(MODEL, 0, Torch.newManager());
  }

  @AfterClass
  public static void close() {
    if (dit != null) dit.close();
  }

  private static double inProcessFid(int steps, CacheSchedule schedule, int set) {
    List<SampleRequest> requests = new ArrayList<>();
    for (int i = 0; i < PER_SET; i++) {
      long id = (long) set * PER_SET + i;
      requests.add(SampleRequest.of(id, i % 10, SEED + id));
    }
    return BareSamplerFid.of(dit, steps, CFG, schedule, requests, BATCH);
  }

  @Test
  public void everyRequestSetHasTheFidOfTheBareSamplerOnItsRequests() {
    assertEquals(
        List.of("ddim6", "ddim6-units40", "ddim6-steps40", "ddim4"),
        report.settings().stream().map(SettingResult::name).toList());
    for (int set = 0; set < SETS; set++) {
      double plain = inProcessFid(STEPS, null, set);
      assertThat(
          report.setting("ddim6").fidPerSet().get(set),
          org.hamcrest.Matchers.closeTo(plain, 1e-6 * plain));
      CacheSchedule units =
          UniformSchedule.scores(
                  UniformSchedule.Kind.SAME_UNITS, ModelFamily.DIT, STEPS, dit.macs())
              .forRemovedFraction(dit.macs(), 0.4)
              .schedule();
      double cached = inProcessFid(STEPS, units, set);
      assertThat(
          report.setting("ddim6-units40").fidPerSet().get(set),
          org.hamcrest.Matchers.closeTo(cached, 1e-6 * cached));
    }
    SettingResult units = report.setting("ddim6-units40");
    assertEquals(SETS, units.requestSets());
    assertEquals("ddim4", units.pairedWith());
    assertEquals(
        units.fidPerSet().get(0)
            - report.setting("ddim4").fidPerSet().get(0)
            + units.fidPerSet().get(1)
            - report.setting("ddim4").fidPerSet().get(1),
        2 * report.pairedDifference(units).orElseThrow().mean(),
        1e-9);
    assertTrue(Files.isRegularFile(first.resolve("samples-ddim6-units40.png")));
    // no learned router: no router file and no heat map
    assertFalse(Files.exists(first.resolve("router-heatmap.png")));
  }

  @Test
  public void aSecondRunTakesThePlainSettingsAndReproducesTheCachedOnesBitForBit()
      throws Exception {
    assertEquals(
        List.of("ddim6", "ddim6-steps40", "ddim4"),
        again.settings().stream().map(SettingResult::name).toList());
    assertEquals(report.setting("ddim6").fidPerSet(), again.setting("ddim6").fidPerSet());
    assertEquals(
        report.setting("ddim6-steps40").fidPerSet(), again.setting("ddim6-steps40").fidPerSet());
    assertFalse(
        "plain settings are not sampled again", Files.exists(second.resolve("samples-ddim6.png")));
    assertTrue(Files.exists(second.resolve("samples-ddim6-steps40.png")));
    assertThat(
        Files.readString(second.resolve("report.md")), containsString("ddim6: not sampled here"));
  }

  @Test
  public void aReportMeasuredDifferentlyIsRefused() {
    List<String> args =
        args(
            TMP.getRoot().toPath().resolve("refused"),
            "same-units",
            first.resolve("report.json").toString(),
            PER_SET * 2);
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> PipelineLauncher.run("benchmark", args));
    assertThat(e.getMessage(), containsString("--known-results: " + first.resolve("report.json")));
    assertThat(e.getMessage(), containsString("requests"));
  }
}
