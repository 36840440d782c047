package org.l2cbeam.test;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.closeTo;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.greaterThan;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertTrue;

import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import javax.imageio.ImageIO;
import org.apache.beam.sdk.PipelineResult;
import org.junit.BeforeClass;
import org.junit.ClassRule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;
import org.l2cbeam.beam.SampleRequest;
import org.l2cbeam.core.model.DiT;
import org.l2cbeam.core.model.DiTLoader;
import org.l2cbeam.core.router.CacheSchedule;
import org.l2cbeam.core.router.RouterArtifact;
import org.l2cbeam.core.router.ThetaSearch;
import org.l2cbeam.core.router.UnitMacs;
import org.l2cbeam.core.runtime.Torch;
import org.l2cbeam.pipelines.PipelineLauncher;
import org.l2cbeam.pipelines.report.BenchmarkReport;
import org.l2cbeam.pipelines.report.ReportJson;
import org.l2cbeam.pipelines.report.SettingResult;

/**
 * The {@code benchmark} pipeline end to end on the build's runner (DirectRunner, or embedded Flink
 * under -Pflink): routers trained in the pipeline, every setting sampled, scored and timed, the
 * report and pictures written. Each reported FID must equal the FID of the bare sampler run in this
 * process with the same schedule (the one the pipeline's own router JSON gives at the reported θ),
 * and the router must be byte-identical to what the {@code train-router} pipeline writes for the
 * same settings.
 */
public class BenchmarkPipelineIT {
  private static final String MODEL = "builtin:fmnist-dit";
  private static final int STEPS = 6;
  private static final int SAMPLES = 10;
  private static final int BATCH = 5;
  private static final double CFG = 1.5;
  private static final double REMOVE = 0.3;

  @ClassRule public static final TemporaryFolder TMP = new TemporaryFolder();
  private static Path out;
  private static BenchmarkReport report;
  private static DiT dit;

  @BeforeClass
  public static void runBenchmark() throws Exception {
    out = TMP.getRoot().toPath().resolve("bench");
    List<String> args = new ArrayList<>(TestRunner.args());
    args.addAll(
        List.of(
            "--model=" + MODEL,
            "--stepCounts=" + STEPS,
            "--trainIterations=2",
            "--trainBatch=4",
            "--macsRemoved=" + REMOVE,
            "--plainSteps=2",
            "--samplesPerSetting=" + SAMPLES,
            "--seed=5",
            "--cfgScale=" + CFG,
            "--modelBatch=" + BATCH,
            "--output=" + out));
    PipelineResult result = PipelineLauncher.run("benchmark", args);
    assertThat(result.getState(), equalTo(PipelineResult.State.DONE));
    report = ReportJson.read(out.resolve("report.json"));
    dit = DiTLoader.load(MODEL, 0, Torch.newManager());
  }

  private static double inProcessFid(int steps, CacheSchedule schedule) {
    List<SampleRequest> requests = new ArrayList<>();
    for (int i = 0; i < SAMPLES; i++) requests.add(SampleRequest.of(i, i % 10, 5 + i));
    return BareSamplerFid.of(dit, steps, CFG, schedule, requests, BATCH);
  }

  @Test
  public void everySettingIsReportedWithPicturesAndFinitePositiveFigures() throws Exception {
    List<String> names = report.settings().stream().map(SettingResult::name).toList();
    assertThat(names, equalTo(List.of("ddim6", "ddim6-l2c30", "ddim4", "ddim2")));
    for (SettingResult s : report.settings()) {
      assertThat(s.samples(), equalTo(SAMPLES));
      // greaterThan(0.0) alone would pass NaN and +Inf (Double.compareTo orders them above every
      // number)
      assertTrue(
          s.name() + " seconds per image " + s.secondsPerImage(),
          Double.isFinite(s.secondsPerImage()) && s.secondsPerImage() > 0);
      png(out.resolve("samples-" + s.name() + ".png"));
    }
    png(out.resolve("router-heatmap.png"));
    png(out.resolve("fid-vs-latency.png"));
    assertThat(
        Files.readString(out.resolve("report.md")),
        org.hamcrest.Matchers.containsString("| DDIM-6 |"));
    // The MACs of the plain settings are proportional to their steps.
    assertThat(
        report.setting("ddim4").macsPerImage() / report.setting("ddim6").macsPerImage(),
        closeTo(4.0 / 6, 1e-12));
  }

  @Test
  public void plainFidEqualsTheBareSamplerInThisProcess() {
    double expected = inProcessFid(STEPS, null);
    double got = report.setting("ddim6").fid();
    System.out.printf(
        java.util.Locale.ROOT,
        "%s benchmark plain FID %.12f (in-process %.12f)%n",
        TestRunner.name(),
        got,
        expected);
    assertThat(got, closeTo(expected, 1e-6 * expected));
  }

  @Test
  public void cachedSettingUsesTheBudgetedScheduleOfItsOwnRouter() throws Exception {
    RouterArtifact router = RouterArtifact.read(out.resolve("router-ddim" + STEPS + ".json"));
    ThetaSearch.Choice choice =
        router.scores().forRemovedFraction(UnitMacs.of(dit.config()), REMOVE);
    SettingResult cached = report.setting("ddim6-l2c30");
    assertThat(cached.theta(), closeTo(choice.theta(), 1e-12));
    assertThat(report.macsRemoved(cached), closeTo(choice.removedFraction(), 1e-9));
    double expected = inProcessFid(STEPS, choice.schedule());
    System.out.printf(
        java.util.Locale.ROOT,
        "%s benchmark cached FID %.12f (in-process %.12f)%n",
        TestRunner.name(),
        cached.fid(),
        expected);
    assertThat(cached.fid(), closeTo(expected, 1e-6 * expected));
  }

  @Test
  public void theRouterIsByteIdenticalToTheTrainRouterPipelines() throws Exception {
    Path trained = TMP.getRoot().toPath().resolve("router.json");
    List<String> args = new ArrayList<>(TestRunner.args());
    args.addAll(
        List.of(
            "--model=" + MODEL,
            "--data=builtin:fashion-mnist",
            "--samplingSteps=" + STEPS,
            "--iterations=2",
            "--batch=4",
            "--lr=0.05",
            "--seed=5",
            "--output=" + trained));
    assertThat(
        PipelineLauncher.run("train-router", args).getState(), equalTo(PipelineResult.State.DONE));
    byte[] a = Files.readAllBytes(trained);
    byte[] b = Files.readAllBytes(out.resolve("router-ddim" + STEPS + ".json"));
    System.out.println(
        TestRunner.name()
            + " trained router sha256 "
            + HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(a)));
    assertThat(
        new String(a, java.nio.charset.StandardCharsets.UTF_8),
        equalTo(new String(b, java.nio.charset.StandardCharsets.UTF_8)));
  }

  private static void png(Path file) throws Exception {
    BufferedImage img = ImageIO.read(file.toFile());
    assertNotNull(file + " is a PNG", img);
    assertThat(img.getWidth(), greaterThan(20));
  }
}
