package org.l2cbeam.test;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.startsWith;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.PipelineResult;
import org.junit.BeforeClass;
import org.junit.ClassRule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;
import org.l2cbeam.beam.BatchSampler;
import org.l2cbeam.beam.GeneratedSample;
import org.l2cbeam.beam.SampleRequest;
import org.l2cbeam.beam.SamplingSettings;
import org.l2cbeam.core.assets.BuiltinAssets;
import org.l2cbeam.core.fid.FeatureStats;
import org.l2cbeam.core.fid.FidStats;
import org.l2cbeam.core.fid.FmnistFeatureNet;
import org.l2cbeam.core.fid.FrechetDistance;
import org.l2cbeam.core.image.ImageBatch;
import org.l2cbeam.core.io.NpzFile;
import org.l2cbeam.core.io.TensorData;
import org.l2cbeam.core.model.DiT;
import org.l2cbeam.core.model.DiTLoader;
import org.l2cbeam.core.router.CacheSchedule;
import org.l2cbeam.core.router.ModelFamily;
import org.l2cbeam.core.router.RouterArtifact;
import org.l2cbeam.core.router.RouterScores;
import org.l2cbeam.core.runtime.Torch;
import org.l2cbeam.pipelines.PipelineLauncher;
import org.l2cbeam.pipelines.sample.SampleRequests;

/**
 * The {@code sample} pipeline end to end on the build's runner (DirectRunner, or embedded Flink
 * with parallelism 2 under -Pflink): its {@code samples.npz} must equal, byte for byte, the bare
 * sampler run in this process on the same requests in one batch. Both runners are held to the same
 * in-process truth, so they give identical samples.
 */
public class SamplePipelineIT {
  private static final String MODEL = "builtin:fmnist-dit";
  private static final String LABELS = "0,1,2,3,4,5,6,7,8,9,3";
  private static final long SEED = 2024;
  private static final int STEPS = 6;
  private static final double CFG = 1.5;

  @ClassRule public static final TemporaryFolder TMP = new TemporaryFolder();
  private static DiT dit;
  private static List<SampleRequest> requests;
  private static Path router;

  @BeforeClass
  public static void setUp() throws Exception {
    dit = DiTLoader.load(MODEL, 0, Torch.newManager());
    requests = SampleRequests.parse(LABELS, Long.toString(SEED));
    Random r = new Random(11);
    float[][] logits = new float[STEPS][dit.units()];
    for (float[] row : logits)
      for (int u = 0; u < row.length; u++) row[u] = (float) r.nextGaussian() * 2f;
    RouterArtifact artifact =
        new RouterArtifact(
            RouterArtifact.UNKNOWN_FINGERPRINT,
            new RouterScores(ModelFamily.DIT, logits),
            "ddim",
            0.5,
            new RouterArtifact.Provenance(
                "SamplePipelineIT", "none", "2026-01-01T00:00:00Z", "test", Map.of()));
    router = TMP.getRoot().toPath().resolve("router.json");
    artifact.write(router);
  }

  private static byte[] runPipeline(String name, String... extra) throws Exception {
    Path out = TMP.getRoot().toPath().resolve(name);
    List<String> args = new ArrayList<>(TestRunner.args());
    args.addAll(
        List.of(
            "--model=" + MODEL,
            "--labels=" + LABELS,
            "--seeds=" + SEED,
            "--steps=" + STEPS,
            "--cfg-scale=" + CFG,
            "--output=" + out));
    args.addAll(List.of(extra));
    PipelineResult result = PipelineLauncher.run("sample", args);
    assertThat(result.getState(), equalTo(PipelineResult.State.DONE));
    assertThat(Files.isRegularFile(out.resolve("samples.png")), equalTo(true));
    try (NpzFile npz = NpzFile.open(out.resolve("samples.npz"))) {
      TensorData arr = npz.read("arr_0");
      assertThat(arr.shape(), equalTo(new long[] {requests.size(), 32, 32, 1}));
      ByteBuffer b = arr.bytes();
      byte[] bytes = new byte[b.remaining()];
      b.get(bytes);
      return bytes;
    }
  }

  private static byte[] bare(CacheSchedule schedule) {
    List<GeneratedSample> samples =
        new BatchSampler(dit, SamplingSettings.of("ddim", STEPS, CFG, null), schedule, "bare")
            .sample(requests)
            .samples;
    byte[] all = new byte[samples.size() * 32 * 32];
    for (int i = 0; i < samples.size(); i++)
      System.arraycopy(samples.get(i).image(), 0, all, i * 1024, 1024);
    return all;
  }

  private static String sha256(byte[] b) throws Exception {
    return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
  }

  @Test
  public void plainSamplesEqualTheBareSamplerWhateverTheBatchSize() throws Exception {
    byte[] expected = bare(null);
    byte[] batch3 = runPipeline("plain-b3", "--batch-size=3");
    byte[] batch16 = runPipeline("plain-b16", "--batch-size=16");
    System.out.println(TestRunner.name() + " plain samples sha256 " + sha256(batch3));
    assertThat(sha256(batch3), equalTo(sha256(expected)));
    assertThat(sha256(batch16), equalTo(sha256(expected)));
  }

  @Test
  public void evaluateGivesTheInProcessFid() throws Exception {
    runPipeline("for-fid", "--batch-size=5");
    Path npz = TMP.getRoot().toPath().resolve("for-fid").resolve("samples.npz");
    Path json = TMP.getRoot().toPath().resolve("fid.json");
    List<String> args = new ArrayList<>(TestRunner.args());
    args.addAll(
        List.of(
            "--samples=" + npz, "--referenceStats=builtin:fmnist-test-stats", "--output=" + json));
    assertThat(
        PipelineLauncher.run("evaluate", args).getState(), equalTo(PipelineResult.State.DONE));
    com.google.gson.JsonObject result =
        com.google.gson.JsonParser.parseString(Files.readString(json)).getAsJsonObject();
    double fid = result.get("fid").getAsDouble();
    assertThat(result.get("imageCount").getAsLong(), equalTo((long) requests.size()));

    byte[] pixels = bare(null);
    FeatureStats stats = new FeatureStats(FmnistFeatureNet.DIM);
    try (FmnistFeatureNet net = FmnistFeatureNet.builtin()) {
      stats.add(net.features(new ImageBatch(requests.size(), 32, 32, 1, pixels)));
    }
    double expected =
        FrechetDistance.compute(
            stats.toFidStats(), FidStats.read(BuiltinAssets.resolve("builtin:fmnist-test-stats")));
    System.out.printf(
        java.util.Locale.ROOT,
        "%s evaluate FID %.12f (in-process %.12f)%n",
        TestRunner.name(),
        fid,
        expected);
    // Feature batches of another size round differently in float32; the FID agrees far below its
    // printed digits.
    assertThat(Math.abs(fid - expected) <= 1e-6 * Math.abs(expected), equalTo(true));
  }

  @Test
  public void routedSamplesEqualTheBareSamplerWithTheSameSchedule() throws Exception {
    RouterArtifact artifact = RouterArtifact.read(router);
    byte[] expected = bare(artifact.scores().schedule(0.3));
    byte[] got = runPipeline("router", "--router=" + router, "--theta=0.3", "--batch-size=4");
    System.out.println(TestRunner.name() + " router samples sha256 " + sha256(got));
    assertThat(sha256(got), equalTo(sha256(expected)));
    assertThat(sha256(got).equals(sha256(bare(null))), equalTo(false));
  }

  @Test
  public void theRunnerIsTheOneTheBuildSelected() {
    Pipeline p = Pipeline.create(TestRunner.options());
    assertThat(
        p.getOptions().getRunner().getSimpleName(),
        startsWith(TestRunner.isFlink() ? "Flink" : "Direct"));
  }
}
