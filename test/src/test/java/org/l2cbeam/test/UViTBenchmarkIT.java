package org.l2cbeam.test;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.closeTo;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import javax.imageio.ImageIO;
import org.apache.beam.sdk.PipelineResult;
import org.junit.AfterClass;
import org.junit.BeforeClass;
import org.junit.ClassRule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;
import org.l2cbeam.beam.Routers;
import org.l2cbeam.core.diffusion.SamplingRun;
import org.l2cbeam.core.diffusion.SeededNoise;
import org.l2cbeam.core.fid.FeatureExtractor;
import org.l2cbeam.core.fid.FeatureExtractors;
import org.l2cbeam.core.fid.FeatureStats;
import org.l2cbeam.core.fid.FidStats;
import org.l2cbeam.core.fid.FrechetDistance;
import org.l2cbeam.core.fid.InceptionV3Fid;
import org.l2cbeam.core.image.ImageBatch;
import org.l2cbeam.core.io.NpzWriter;
import org.l2cbeam.core.io.TensorData;
import org.l2cbeam.core.model.DiffusionTransformer;
import org.l2cbeam.core.model.ModelCheckpoint;
import org.l2cbeam.core.router.CacheSchedule;
import org.l2cbeam.core.router.ThetaSearch;
import org.l2cbeam.core.runtime.Torch;
import org.l2cbeam.core.vae.AutoencoderKL;
import org.l2cbeam.pipelines.PipelineLauncher;
import org.l2cbeam.pipelines.report.BenchmarkReport;
import org.l2cbeam.pipelines.report.ReportJson;
import org.l2cbeam.pipelines.report.SettingResult;

/**
 * The {@code benchmark} pipeline on a U-ViT, on DirectRunner: the small U-ViT of the test vectors
 * (4x8x8 latents, decoded to 16x16 RGB by the small test VAE) with the official-format U-ViT
 * router, FID on Inception features of random {@code hash:} weights against a reference written
 * here. Settings are named by the family's sampler, DPM-Solver++(2S) ({@code dpm10}, {@code
 * dpm10-l2c10}; the equal-cost partner of 10% removed is NFE 10 itself, as an NFE is even: {@code
 * BenchmarkPlanTest} covers the rounding), and the cached FID equals that of the same samples
 * computed in this process without Beam.
 *
 * <p>Not a {@code *PipelineIT}, so the Flink pass of {@code ./test-all} leaves it out: each FID
 * here is a Fréchet distance in Inception's 2048 dimensions of a covariance of rank 3, whose
 * eigen-decompositions take most of this test's time, and the Flink pass holds the
 * runner-independent parts of the pipeline already on the DiT.
 */
public class UViTBenchmarkIT {
  private static final Path VECTORS = UViTPipelineIT.VECTORS;
  private static final String ROUTER = UViTPipelineIT.ROUTER;
  private static final String VAE = UViTPipelineIT.VAE;
  private static final String WEIGHTS = "hash:3";
  private static final int NFE = 10;
  private static final int SAMPLES = 4;
  private static final long SEED = 7;
  private static final double CFG = 1.4;
  private static final double REMOVE = 0.1;

  @ClassRule public static final TemporaryFolder TMP = new TemporaryFolder();
  private static Path out;
  private static Path reference;
  private static BenchmarkReport report;
  private static DiffusionTransformer uvit;
  private static AutoencoderKL vae;

  @BeforeClass
  public static void runBenchmark() throws Exception {
    Path dir = TMP.newFolder("uvit").toPath();
    Path model = dir.resolve("uvit_model.pt");
    Files.copy(VECTORS.resolve("uvit_model.pt"), model);
    Files.writeString(dir.resolve("config.json"), "{\"num_heads\": 4}");
    reference = TMP.getRoot().toPath().resolve("reference-stats.npz");
    writeReference(reference);

    out = TMP.getRoot().toPath().resolve("bench");
    List<String> args = new ArrayList<>(TestRunner.args());
    args.addAll(
        List.of(
            "--model=" + model,
            "--stepCounts=" + NFE,
            "--routers=" + ROUTER,
            "--macsRemoved=" + REMOVE,
            "--samplesPerSetting=" + SAMPLES,
            "--seed=" + SEED,
            "--cfgScale=" + CFG,
            "--modelBatch=" + SAMPLES,
            "--vae=" + VAE,
            "--extractor=inception",
            "--weights=" + WEIGHTS,
            "--referenceStats=" + reference,
            "--output=" + out));
    PipelineResult result = PipelineLauncher.run("benchmark", args);
    assertThat(result.getState(), equalTo(PipelineResult.State.DONE));
    report = ReportJson.read(out.resolve("report.json"));
    uvit = ModelCheckpoint.open(model.toString()).load();
    vae = AutoencoderKL.load(Path.of(VAE));
  }

  @AfterClass
  public static void close() {
    if (uvit != null) uvit.close();
    if (vae != null) vae.close();
  }

  /**
   * A reference of Inception's dimension: mean 0, identity covariance (what it is does not matter,
   * only that both sides of each comparison use it).
   */
  private static void writeReference(Path file) throws Exception {
    int d = InceptionV3Fid.DIM;
    double[] sigma = new double[d * d];
    for (int i = 0; i < d; i++) sigma[i * d + i] = 1;
    Map<String, TensorData> arrays = new LinkedHashMap<>();
    arrays.put("mu", TensorData.ofDoubles(new long[] {d}, new double[d]));
    arrays.put("sigma", TensorData.ofDoubles(new long[] {d, d}, sigma));
    NpzWriter.write(file, arrays);
  }

  /**
   * The samples of the benchmark's requests (request i: label i mod 10, seed {@link #SEED} + i)
   * with {@code schedule}, decoded and featurised in one batch of {@link #SAMPLES} as the
   * pipeline's model batch does, and their FID against the reference.
   */
  private static double inProcessFid(int nfe, CacheSchedule schedule) {
    long[] labels = new long[SAMPLES];
    for (int i = 0; i < SAMPLES; i++) labels[i] = i % 10;
    Torch.inferenceMode();
    SamplingRun.Result run =
        SamplingRun.of(uvit)
            .steps(nfe)
            .cfgScale(CFG)
            .schedule(schedule)
            .vae(vae)
            .build()
            .sample(SeededNoise.consecutive(SEED, SAMPLES), labels);
    long[] shape = run.imageShape();
    FeatureStats stats = new FeatureStats(InceptionV3Fid.DIM);
    try (FeatureExtractor net = FeatureExtractors.create("inception", WEIGHTS)) {
      stats.add(
          net.features(new ImageBatch(SAMPLES, (int) shape[2], (int) shape[3], 3, run.pixels())));
    }
    return FrechetDistance.compute(stats.toFidStats(), FidStats.read(reference));
  }

  @Test
  public void settingsAreNamedByTheFamilysSampler() throws Exception {
    List<String> names = report.settings().stream().map(SettingResult::name).toList();
    assertThat(names, equalTo(List.of("dpm10", "dpm10-l2c10")));
    assertThat(report.setting("dpm10").label(), equalTo("DPM-Solver-10"));
    assertThat(report.setting("dpm10-l2c10").pairedWith(), equalTo("dpm10"));
    for (SettingResult s : report.settings()) {
      assertThat(s.samples(), equalTo(SAMPLES));
      assertTrue(s.name() + " FID " + s.fid(), Double.isFinite(s.fid()) && s.fid() > 0);
      assertNotNull(
          s.name() + " grid", ImageIO.read(out.resolve("samples-" + s.name() + ".png").toFile()));
    }
    assertThat(Files.readString(out.resolve("report.md")), containsString("DPM-Solver-10"));
    assertTrue(Files.notExists(out.resolve("router-ddim" + NFE + ".json")));
  }

  @Test
  public void theCachedFidEqualsTheSamplesComputedInThisProcess() {
    ThetaSearch.Choice choice =
        Routers.choose(Routers.read("test", ROUTER), uvit.macs(), null, REMOVE);
    SettingResult cached = report.setting("dpm10-l2c10");
    assertThat(cached.theta(), closeTo(choice.theta(), 1e-12));
    double expected = inProcessFid(NFE, choice.schedule());
    System.out.printf(
        java.util.Locale.ROOT,
        "%s U-ViT benchmark FIDs: plain %.9f, cached %.9f (in-process %.9f)%n",
        TestRunner.name(),
        report.setting("dpm10").fid(),
        cached.fid(),
        expected);
    assertTrue("the schedule reuses units", choice.removedFraction() > 0);
    assertThat(cached.fid(), closeTo(expected, 1e-6 * expected));
  }
}
