package org.l2cbeam.pipelines.evaluate;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.allOf;
import static org.hamcrest.Matchers.closeTo;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.BeforeClass;
import org.junit.ClassRule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;
import org.l2cbeam.core.assets.BuiltinAssets;
import org.l2cbeam.core.data.FashionMnist;
import org.l2cbeam.core.fid.FeatureStats;
import org.l2cbeam.core.fid.FidStats;
import org.l2cbeam.core.fid.FmnistFeatureNet;
import org.l2cbeam.core.fid.FrechetDistance;
import org.l2cbeam.core.fid.StatsFromImages;
import org.l2cbeam.core.image.ImageBatch;
import org.l2cbeam.core.image.ImageSources;
import org.l2cbeam.core.image.SampleNpz;
import org.l2cbeam.pipelines.PipelineLauncher;
import org.l2cbeam.pipelines.PipelineOutputs;

/**
 * The evaluate pipeline through the launcher, on DirectRunner: 150 real Fashion-MNIST test images
 * as a samples npz.
 */
public class EvaluatePipelineTest {
  @ClassRule public static final TemporaryFolder TMP = new TemporaryFolder();
  static Path samples;
  static double expected;

  @BeforeClass
  public static void setUp() throws Exception {
    ImageBatch images =
        FashionMnist.open(BuiltinAssets.resolve(FashionMnist.BUILTIN))
            .images(FashionMnist.Split.TEST)
            .slice(0, 150);
    samples = TMP.getRoot().toPath().resolve("samples.npz");
    SampleNpz.write(samples, images);
    try (FmnistFeatureNet net = FmnistFeatureNet.builtin()) {
      FeatureStats stats =
          StatsFromImages.compute(net, ImageSources.of("test", images), 50, (d, t) -> {});
      expected =
          FrechetDistance.compute(
              stats.toFidStats(),
              FidStats.read(BuiltinAssets.resolve("builtin:fmnist-test-stats")));
    }
  }

  private static List<String> args(String... extra) {
    return new ArrayList<>(List.of(extra));
  }

  @Test
  public void writesTheFidOfASampleFileAsJson() throws Exception {
    Path out = TMP.getRoot().toPath().resolve("eval");
    PipelineLauncher.run(
        "evaluate", args("--samples", samples.toString(), "--output", out.toString()));
    Path json = out.resolve(EvaluatePipeline.RESULT_FILE);
    JsonObject r = JsonParser.parseString(Files.readString(json)).getAsJsonObject();
    assertThat(r.get("fid").getAsDouble(), closeTo(expected, 1e-9));
    assertThat(r.get("imageCount").getAsLong(), equalTo(150L));
    assertThat(r.get("featureDimension").getAsInt(), equalTo(128));
    assertThat(r.get("extractor").getAsString(), equalTo("builtin:fmnist-features"));
    assertThat(r.get("reference").getAsString(), equalTo("builtin:fmnist-test-stats"));
    try (Stream<Path> files = Files.list(out)) {
      assertThat(
          "the result and the success marker, no temporary file",
          files.map(f -> f.getFileName().toString()).sorted().toList(),
          equalTo(List.of(PipelineOutputs.MARKER, EvaluatePipeline.RESULT_FILE)));
    }
  }

  private static String buildError(String... extra) {
    List<String> a = args(extra);
    if (a.stream().noneMatch(s -> s.startsWith("--samples"))) a.add("--samples=" + samples);
    a.add("--output=" + TMP.getRoot().toPath().resolve("bad/fid.json"));
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                PipelineLauncher.entry("evaluate").build(PipelineLauncher.options("evaluate", a)));
    return e.getMessage();
  }

  @Test
  public void badOptionsNameTheOption() {
    assertThat(
        buildError("--samples=/no/such/samples.npz"),
        allOf(containsString("--samples"), containsString("/no/such/samples.npz")));
    assertThat(
        buildError("--reference-stats=/no/stats.npz"),
        allOf(containsString("--reference-stats"), containsString("/no/stats.npz")));
    assertThat(
        buildError("--reference-stats=" + samples),
        allOf(containsString("--reference-stats"), containsString("'mu' and 'sigma'")));
    assertThat(buildError("--extractor=vgg"), containsString("--extractor"));
    assertThat(buildError("--extractor=inception"), containsString("--weights"));
    assertThat(buildError("--weights=/no/weights.pth"), containsString("--weights"));
    assertThat(buildError("--feature-batch-size=0"), containsString("--feature-batch-size"));
    assertThat(buildError("--split=valid"), containsString("--split"));
    assertFalse(Files.exists(TMP.getRoot().toPath().resolve("bad")));
  }

  /**
   * Inception (hash weights) gives 2048-d features: the 128-d Fashion-MNIST stats are rejected
   * before running.
   */
  @Test
  public void referenceDimensionMismatchNamesTheReferenceOption() {
    String m = buildError("--extractor=inception", "--weights=hash:3");
    assertThat(
        m,
        allOf(
            containsString("--reference-stats"),
            containsString("128-d"),
            containsString("2048-d")));
  }

  /**
   * Beam registers every pipeline's options in one JVM: same-named properties must agree, or every
   * launch fails.
   */
  @Test
  public void optionsCoexistWithEveryOtherPipeline() {
    for (String name : PipelineLauncher.pipelines().keySet()) {
      org.apache.beam.sdk.options.PipelineOptionsFactory.register(
          PipelineLauncher.entry(name).options);
    }
    EvaluateOptions o =
        PipelineLauncher.options("evaluate", args("--samples=" + samples, "--output=/tmp/x.json"))
            .as(EvaluateOptions.class);
    assertThat(o.getFeatureBatchSize(), equalTo(50));
    PipelineLauncher.options("sample", args("--labels=0", "--output=/tmp/x"));
  }

  @Test
  public void outputIsAJsonFileOrADirectory() {
    assertThat(EvaluatePipeline.resultFile("/x/r.json"), equalTo("/x/r.json"));
    assertThat(EvaluatePipeline.resultFile("gs://b/run/"), equalTo("gs://b/run/fid.json"));
    assertTrue(EvaluatePipeline.resultFile("/x").endsWith("/x/fid.json"));
  }
}
