package org.l2cbeam.beam;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.allOf;
import static org.hamcrest.Matchers.closeTo;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.greaterThan;
import static org.hamcrest.Matchers.hasSize;
import static org.hamcrest.Matchers.lessThanOrEqualTo;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.metrics.MetricNameFilter;
import org.apache.beam.sdk.metrics.MetricResult;
import org.apache.beam.sdk.metrics.MetricsFilter;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.Reshuffle;
import org.apache.beam.sdk.values.PCollection;
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

/**
 * ComputeFID on 200 real Fashion-MNIST test images against {@code builtin:fmnist-test-stats}, on
 * DirectRunner, checked against the in-process core computation (StatsFromImages +
 * FrechetDistance).
 */
public class ComputeFIDTest {
  static final String REFERENCE = "builtin:fmnist-test-stats";
  static final int COUNT = 200;
  @ClassRule public static final TemporaryFolder TMP = new TemporaryFolder();

  /**
   * Results collected from pipelines, by run name (DoFn copies are serialized, so this is static).
   */
  static final ConcurrentMap<String, List<FidResult>> COLLECTED = new ConcurrentHashMap<>();

  static ImageBatch images;
  static byte[] labels;
  static double expected;

  @BeforeClass
  public static void setUp() {
    FashionMnist set = FashionMnist.open(BuiltinAssets.resolve(FashionMnist.BUILTIN));
    images = set.images(FashionMnist.Split.TEST).slice(0, COUNT);
    labels = set.labels(FashionMnist.Split.TEST);
    try (FmnistFeatureNet net = FmnistFeatureNet.builtin()) {
      FeatureStats stats =
          StatsFromImages.compute(net, ImageSources.of("test", images), 50, (done, total) -> {});
      expected =
          FrechetDistance.compute(
              stats.toFidStats(), FidStats.read(BuiltinAssets.resolve(REFERENCE)));
    }
  }

  static final class Collect extends DoFn<FidResult, Void> {
    private final String run;

    Collect(String run) {
      this.run = run;
    }

    @ProcessElement
    public void process(@Element FidResult r) {
      COLLECTED.computeIfAbsent(run, k -> Collections.synchronizedList(new ArrayList<>())).add(r);
    }
  }

  static Pipeline newPipeline() {
    return Pipeline.create(PipelineOptionsFactory.fromArgs("--runner=DirectRunner").create());
  }

  /**
   * The test images as generated samples; {@code pad} > 0 surrounds them with black, as the 32x32
   * DiT's samples.
   */
  static List<GeneratedSample> samples(int pad) {
    List<GeneratedSample> out = new ArrayList<>();
    int size = 28 + 2 * pad;
    for (int i = 0; i < COUNT; i++) {
      byte[] hwc = new byte[size * size];
      for (int y = 0; y < 28; y++) {
        System.arraycopy(images.pixels(), (i * 28 + y) * 28, hwc, (y + pad) * size + pad, 28);
      }
      out.add(
          GeneratedSample.ofImage(
              SampleRequest.of(i, labels[i], i), 1, size, size, hwc, "plain", 0));
    }
    return out;
  }

  private static FidResult single(String run) {
    List<FidResult> results = COLLECTED.get(run);
    assertThat(run, results, hasSize(1));
    return results.get(0);
  }

  private static PipelineResult runSamples(
      String run, List<GeneratedSample> samples, boolean reshuffle, int batch) {
    Pipeline p = newPipeline();
    PCollection<GeneratedSample> in = p.apply(Create.of(samples));
    if (reshuffle) in = in.apply(Reshuffle.viaRandomKey());
    in.apply(ComputeFID.against(REFERENCE).withBatchSize(batch)).apply(ParDo.of(new Collect(run)));
    PipelineResult result = p.run();
    result.waitUntilFinish();
    return result;
  }

  @Test
  public void samplesInOneBundleMatchCore() {
    runSamples("one", samples(0), false, 50);
    FidResult r = single("one");
    assertThat(r.fid(), closeTo(expected, 1e-9));
    assertThat(r.imageCount(), equalTo((long) COUNT));
    assertThat(r.featureDimension(), equalTo(FmnistFeatureNet.DIM));
    assertThat(r.extractor(), equalTo(FmnistFeatureNet.BUILTIN));
    assertThat(r.reference(), equalTo(REFERENCE));
    assertThat(r.fid(), greaterThan(0.0));
  }

  /**
   * 32x32 samples (the bundled DiT's size) are center-cropped to 28x28; reshuffled into many small
   * bundles.
   */
  @Test
  public void paddedSamplesSpreadOverBundlesMatchCore() {
    int loadsBefore = FeatureExtractorRef.loadsInThisJvm();
    PipelineResult result = runSamples("spread", samples(2), true, 50);
    assertThat(single("spread").fid(), closeTo(expected, 1e-9));
    assertThat(single("spread").imageCount(), equalTo((long) COUNT));
    long featurised = 0;
    for (MetricResult<Long> c :
        result
            .metrics()
            .queryMetrics(
                MetricsFilter.builder()
                    .addNameFilter(MetricNameFilter.named(ComputeFID.class, "imagesFeaturised"))
                    .build())
            .getCounters()) {
      featurised += c.getAttempted();
    }
    assertThat(featurised, equalTo((long) COUNT));
    // DirectRunner runs several FeaturiseFn instances over these bundles: the network is still
    // loaded at most once.
    assertThat(FeatureExtractorRef.loadsInThisJvm() - loadsBefore, lessThanOrEqualTo(1));
  }

  /**
   * Bundling changes nothing at all: the same samples in one bundle and reshuffled give the same
   * bits.
   */
  @Test
  public void bundlingDoesNotChangeTheFidBitForBit() {
    runSamples("bits-one", samples(2), false, 50);
    runSamples("bits-shuffled", samples(2), true, 50);
    runSamples("bits-shuffled-again", samples(2), true, 50);
    double one = single("bits-one").fid();
    assertThat(
        Double.doubleToLongBits(single("bits-shuffled").fid()),
        equalTo(Double.doubleToLongBits(one)));
    assertThat(
        Double.doubleToLongBits(single("bits-shuffled-again").fid()),
        equalTo(Double.doubleToLongBits(one)));
  }

  /** Raw images in uneven chunks through onImages(): the same distance. */
  @Test
  public void imageBatchesMatchCore() {
    List<ImageBatch> chunks = new ArrayList<>();
    for (int from = 0; from < COUNT; from += 13)
      chunks.add(images.slice(from, Math.min(COUNT, from + 13)));
    Pipeline p = newPipeline();
    p.apply(Create.of(chunks).withCoder(ImageBatchCoder.of()))
        .apply(Reshuffle.viaRandomKey())
        .apply(ComputeFID.against(REFERENCE).withBatchSize(50).onImages())
        .apply(ParDo.of(new Collect("chunks")));
    p.run().waitUntilFinish();
    assertThat(single("chunks").fid(), closeTo(expected, 1e-9));
  }

  @Test
  public void extractorIsLoadedOncePerJvm() {
    runSamples("load1", samples(0).subList(0, 20), true, 3);
    int loads = FeatureExtractorRef.loadsInThisJvm();
    runSamples("load2", samples(0).subList(0, 20), true, 3);
    assertThat(FeatureExtractorRef.loadsInThisJvm(), equalTo(loads));
    FeatureExtractorRef ref =
        FeatureExtractorRef.resolve("test", "fmnist", FmnistFeatureNet.BUILTIN);
    assertTrue(ref.isLoaded());
    assertTrue(ref.shared() == ref.shared());
  }

  @Test
  public void referenceDimensionMismatchIsRejectedAtExpand() {
    Pipeline p = newPipeline();
    PCollection<GeneratedSample> in = p.apply(Create.of(samples(0).subList(0, 2)));
    ComputeFID inception =
        ComputeFID.against(REFERENCE).withExtractor("inception").withWeights("hash:1");
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> in.apply(inception));
    assertThat(
        e.getMessage(),
        allOf(
            containsString("ComputeFID.against"),
            containsString("128-d"),
            containsString("2048-d"),
            containsString(REFERENCE)));
  }

  @Test
  public void badOptionsAreRejectedNamingTheOption() throws Exception {
    Pipeline files = newPipeline();
    PCollection<GeneratedSample> samples = files.apply(Create.of(samples(0).subList(0, 2)));
    ComputeFID missing = ComputeFID.against("/no/such/stats.npz");
    assertThat(
        assertThrows(IllegalArgumentException.class, () -> samples.apply("missing", missing))
            .getMessage(),
        allOf(containsString("ComputeFID.against"), containsString("/no/such/stats.npz")));
    Path notStats = TMP.getRoot().toPath().resolve("images.npz");
    SampleNpz.write(notStats, images.slice(0, 2));
    ComputeFID imagesNotStats = ComputeFID.against(notStats.toString());
    assertThat(
        assertThrows(
                IllegalArgumentException.class, () -> samples.apply("notStats", imagesNotStats))
            .getMessage(),
        allOf(containsString("ComputeFID.against"), containsString("'mu' and 'sigma'")));
    assertThat(
        assertThrows(IllegalArgumentException.class, () -> ComputeFID.against(" ")).getMessage(),
        containsString("ComputeFID.against"));
    ComputeFID t = ComputeFID.against(REFERENCE);
    assertThat(
        assertThrows(IllegalArgumentException.class, () -> t.withExtractor("vgg")).getMessage(),
        containsString("ComputeFID.withExtractor"));
    assertThat(
        org.apache.beam.sdk.transforms.display.DisplayData.from(
                t.withExtractor(FidExtractor.INCEPTION))
            .toString(),
        containsString("inception"));
    assertThat(
        t.withExtractor("Inception"),
        org.hamcrest.Matchers.equalTo(t.withExtractor(FidExtractor.INCEPTION)));
    assertThat(
        assertThrows(IllegalArgumentException.class, () -> t.withBatchSize(0)).getMessage(),
        containsString("ComputeFID.withBatchSize"));
    ComputeFID noWeightsFile = t.withWeights("/no/weights.pth");
    assertThat(
        assertThrows(IllegalArgumentException.class, () -> samples.apply("noFile", noWeightsFile))
            .getMessage(),
        allOf(containsString("ComputeFID.withWeights"), containsString("/no/weights.pth")));

    Pipeline p = newPipeline();
    PCollection<GeneratedSample> in = p.apply(Create.of(samples(0).subList(0, 2)));
    assertThat(
        assertThrows(
                IllegalArgumentException.class,
                () -> in.apply("noWeights", t.withExtractor("inception")))
            .getMessage(),
        containsString("ComputeFID.withWeights"));
    // The DiT checkpoint is not the feature network: keys and shapes are checked at expand.
    assertThat(
        assertThrows(
                IllegalArgumentException.class,
                () -> in.apply("wrongWeights", t.withWeights("builtin:fmnist-dit")))
            .getMessage(),
        allOf(containsString("ComputeFID.withWeights"), containsString("builtin:fmnist-dit")));
  }

  @Test
  public void filesAreReadWhenThePipelineIsBuiltNotWhenTheTransformIsConfigured() {
    // Construction reads nothing: a missing reference, weights file or VAE is fine until expand.
    ComputeFID t =
        ComputeFID.against("/no/such/stats.npz")
            .withWeights("/no/such/weights.pth")
            .withVae("/no/such/vae.safetensors");
    Pipeline p = newPipeline();
    PCollection<GeneratedSample> in = p.apply(Create.of(samples(0).subList(0, 2)));
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> in.apply("stats", t));
    assertThat(
        e.getMessage(),
        allOf(containsString("ComputeFID.withVae"), containsString("/no/such/vae.safetensors")));
    ComputeFID noVae = ComputeFID.against("/no/such/stats.npz").withWeights("/no/such/weights.pth");
    e = assertThrows(IllegalArgumentException.class, () -> in.apply("noVae", noVae));
    assertThat(
        e.getMessage(),
        allOf(containsString("ComputeFID.against"), containsString("/no/such/stats.npz")));
    ComputeFID goodStats = ComputeFID.against(REFERENCE).withWeights("/no/such/weights.pth");
    e = assertThrows(IllegalArgumentException.class, () -> in.apply("goodStats", goodStats));
    assertThat(
        e.getMessage(),
        allOf(containsString("ComputeFID.withWeights"), containsString("/no/such/weights.pth")));
  }

  @Test
  public void withoutValidationTheWorkersReadTheFilesAndARunFailsNamingTheMissingOne() {
    Pipeline p = newPipeline();
    p.apply(Create.of(samples(0).subList(0, 4)))
        .apply(
            ComputeFID.against("/no/such/stats.npz")
                .withoutValidation()); // expand reads nothing: no throw
    Exception e = assertThrows(Exception.class, () -> p.run().waitUntilFinish());
    assertThat(
        messages(e),
        allOf(containsString("ComputeFID.against"), containsString("/no/such/stats.npz")));

    Pipeline weights = newPipeline();
    weights
        .apply(Create.of(samples(0).subList(0, 4)))
        .apply(
            ComputeFID.against(REFERENCE).withWeights("/no/such/weights.pth").withoutValidation());
    e = assertThrows(Exception.class, () -> weights.run().waitUntilFinish());
    assertThat(
        messages(e),
        allOf(containsString("ComputeFID.withWeights"), containsString("/no/such/weights.pth")));

    assertThat(
        org.apache.beam.sdk.transforms.display.DisplayData.from(
                ComputeFID.against(REFERENCE).withoutValidation())
            .toString(),
        containsString("validate"));
  }

  @Test
  public void withoutValidationComputesTheSameFid() {
    Pipeline p = newPipeline();
    p.apply(Create.of(samples(0)))
        .apply(ComputeFID.against(REFERENCE).withBatchSize(50).withoutValidation())
        .apply(ParDo.of(new Collect("withoutValidation")));
    p.run().waitUntilFinish();
    assertThat(single("withoutValidation").fid(), closeTo(expected, 1e-9));
  }

  @Test
  public void latentSamplesFailNamingTheSample() {
    Pipeline p = newPipeline();
    GeneratedSample latent =
        GeneratedSample.ofLatent(SampleRequest.of(42, 0, 0), 4, 2, 2, new float[16], "plain", 0);
    p.apply(Create.of(latent, latent)).apply(ComputeFID.against(REFERENCE));
    Exception e = assertThrows(Exception.class, () -> p.run().waitUntilFinish());
    assertThat(messages(e), allOf(containsString("sample 42"), containsString("latent")));
  }

  @Test
  public void colourImagesFailForTheGreyExtractor() {
    Pipeline p = newPipeline();
    GeneratedSample rgb =
        GeneratedSample.ofImage(
            SampleRequest.of(1, 0, 0), 3, 28, 28, new byte[3 * 28 * 28], "x", 0);
    p.apply(Create.of(rgb, rgb)).apply(ComputeFID.against(REFERENCE));
    Exception e = assertThrows(Exception.class, () -> p.run().waitUntilFinish());
    assertThat(messages(e), allOf(containsString("ComputeFID"), containsString("1 channel")));
  }

  @Test
  public void oneImageIsNotEnough() {
    Pipeline p = newPipeline();
    p.apply(Create.of(samples(0).subList(0, 1))).apply(ComputeFID.against(REFERENCE));
    Exception e = assertThrows(Exception.class, () -> p.run().waitUntilFinish());
    assertThat(messages(e), containsString("at least 2 images"));
  }

  @Test
  public void displayDataNamesTheSettings() {
    ComputeFID t = ComputeFID.against(REFERENCE).withBatchSize(16);
    String shown = org.apache.beam.sdk.transforms.display.DisplayData.from(t).toString();
    assertThat(
        shown, allOf(containsString(REFERENCE), containsString("fmnist"), containsString("16")));
  }

  static String messages(Throwable e) {
    StringBuilder sb = new StringBuilder();
    for (Throwable t = e; t != null; t = t.getCause()) sb.append(t.getMessage()).append(" | ");
    return sb.toString();
  }

  static void silence(PrintStream unused) {}
}
