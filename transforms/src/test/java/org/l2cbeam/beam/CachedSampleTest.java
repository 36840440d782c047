package org.l2cbeam.beam;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.greaterThan;
import static org.hamcrest.Matchers.lessThanOrEqualTo;
import static org.hamcrest.Matchers.not;
import static org.hamcrest.Matchers.startsWith;
import static org.junit.Assert.assertThrows;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.metrics.MetricNameFilter;
import org.apache.beam.sdk.metrics.MetricQueryResults;
import org.apache.beam.sdk.metrics.MetricResult;
import org.apache.beam.sdk.metrics.MetricsFilter;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.Reshuffle;
import org.apache.beam.sdk.transforms.View;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionView;
import org.junit.BeforeClass;
import org.junit.ClassRule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;
import org.l2cbeam.core.model.DiffusionTransformer;
import org.l2cbeam.core.runtime.ComputeDevice;

/** CachedSample on the bundled Fashion-MNIST DiT, on DirectRunner. */
public class CachedSampleTest {
  private static final String MODEL = "builtin:fmnist-dit";
  private static final int STEPS = 6;
  @ClassRule public static final TemporaryFolder TMP = new TemporaryFolder();

  /**
   * Outputs collected from pipelines, by run name (DoFn copies are serialized, so this is static).
   */
  static final ConcurrentMap<String, List<GeneratedSample>> COLLECTED = new ConcurrentHashMap<>();

  static List<SampleRequest> requests;
  static ModelRef ref;

  @BeforeClass
  public static void setUp() {
    requests = new ArrayList<>();
    for (int i = 0; i < 7; i++) requests.add(SampleRequest.of(i, i % 10, 1000 + i));
    ref = FamilyModels.describe(MODEL, 0, null);
  }

  static final class Collect extends DoFn<GeneratedSample, Void> {
    private final String run;

    Collect(String run) {
      this.run = run;
    }

    @ProcessElement
    public void process(@Element GeneratedSample s) {
      COLLECTED
          .computeIfAbsent(run, k -> java.util.Collections.synchronizedList(new ArrayList<>()))
          .add(s);
    }
  }

  private static PipelineResult sample(String run, CachedSampleConfigurer configure) {
    Pipeline p = Pipeline.create(PipelineOptionsFactory.fromArgs("--runner=DirectRunner").create());
    PCollectionView<ModelRef> model = p.apply(LoadModel.from(MODEL)).apply(View.asSingleton());
    PCollection<GeneratedSample> out =
        p.apply(Create.of(requests))
            .apply(Reshuffle.viaRandomKey())
            .apply(configure.apply(CachedSample.using(model).withSteps(STEPS)));
    out.apply(ParDo.of(new Collect(run)));
    PipelineResult result = p.run();
    result.waitUntilFinish();
    return result;
  }

  interface CachedSampleConfigurer extends java.io.Serializable {
    CachedSample apply(CachedSample t);
  }

  private static List<GeneratedSample> sorted(String run) {
    List<GeneratedSample> l = new ArrayList<>(COLLECTED.get(run));
    l.sort(Comparator.comparingLong(GeneratedSample::id));
    return l;
  }

  @Test
  public void loadModelDescribesTheBuiltinCheckpoint() {
    assertThat(ref.inputSize(), equalTo(32));
    assertThat(ref.inChannels(), equalTo(1));
    assertThat(ref.numClasses(), equalTo(10));
    assertThat(ref.cacheUnits(), equalTo(16));
    assertThat(ref.fingerprint().length(), equalTo(64));
  }

  @Test
  public void bytesDoNotDependOnBatchingAndMatchTheBareSampler() {
    sample("batch1", t -> t.withBatchSize(1).withCfgScale(1.5));
    sample("batch3", t -> t.withBatchSize(3).withCfgScale(1.5));
    PipelineResult r = sample("batch8", t -> t.withBatchSize(8).withCfgScale(1.5));
    List<GeneratedSample> b1 = sorted("batch1");
    List<GeneratedSample> b3 = sorted("batch3");
    List<GeneratedSample> b8 = sorted("batch8");
    assertThat(b1.size(), equalTo(requests.size()));
    DiffusionTransformer dit = SharedModels.model(ref);
    List<GeneratedSample> bare =
        new BatchSampler(dit, SamplingSettings.of("ddim", STEPS, 1.5, null), null, "ddim" + STEPS)
            .sample(requests)
            .samples;
    for (int i = 0; i < requests.size(); i++) {
      assertThat(b1.get(i).request(), equalTo(requests.get(i)));
      assertThat("request " + i + " batch 3 vs 1", b3.get(i).image(), equalTo(b1.get(i).image()));
      assertThat("request " + i + " batch 8 vs 1", b8.get(i).image(), equalTo(b1.get(i).image()));
      assertThat("request " + i + " bare loop", bare.get(i).image(), equalTo(b1.get(i).image()));
      assertThat(b1.get(i).scheduleId(), equalTo("ddim" + STEPS));
      assertThat(b1.get(i).image().length, equalTo(32 * 32));
    }
    // different seeds give different images
    assertThat(b1.get(0).image(), not(equalTo(b1.get(1).image())));
    // DirectRunner applies metric updates asynchronously, so only bounds are certain right after
    // the run.
    assertThat(counter(r, "images"), greaterThan(0L));
    assertThat(counter(r, "unitsReused"), equalTo(0L));
    assertThat(counter(r, "unitsComputed"), greaterThan(0L));
  }

  /**
   * Explicit cpu and auto (here the CPU) give the bytes of the worker default, and the display data
   * names the device; a GPU the worker's engine does not see fails the pipeline with one message
   * naming the device and the engine.
   */
  @Test
  public void theDeviceIsResolvedOnTheWorkerAndAMissingGpuFailsClearly() {
    sample("device-default", t -> t.withBatchSize(4));
    sample("device-cpu", t -> t.withBatchSize(4).withDevice(ComputeDevice.CPU));
    sample("device-auto", t -> t.withBatchSize(4).withDevice(ComputeDevice.AUTO));
    List<GeneratedSample> base = sorted("device-default");
    for (String run : new String[] {"device-cpu", "device-auto"}) {
      List<GeneratedSample> got = sorted(run);
      for (int i = 0; i < requests.size(); i++) {
        assertThat(run + " request " + i, got.get(i).image(), equalTo(base.get(i).image()));
      }
    }
    Pipeline p = Pipeline.create();
    PCollectionView<ModelRef> model = p.apply(LoadModel.from(MODEL)).apply(View.asSingleton());
    CachedSample onGpu =
        CachedSample.using(model).withDevice(ComputeDevice.gpu(ComputeDevice.visibleGpus()));
    assertThat(
        org.apache.beam.sdk.transforms.display.DisplayData.from(onGpu).toString(),
        containsString("device=gpu:" + ComputeDevice.visibleGpus()));
    String missing = "gpu:" + ComputeDevice.visibleGpus();
    Throwable e =
        assertThrows(
            Throwable.class,
            () ->
                sample(
                    "device-missing",
                    t ->
                        t.withBatchSize(4)
                            .withDevice(ComputeDevice.gpu(ComputeDevice.visibleGpus()))));
    while (e.getCause() != null && !(e instanceof IllegalStateException)) e = e.getCause();
    assertThat(e.getMessage(), containsString("device " + missing + " was asked for"));
    assertThat(e.getMessage(), containsString("via DJL"));
    assertThat(COLLECTED.get("device-missing"), equalTo(null));
  }

  @Test
  public void aRouterReusesUnitsAndIsNamedInTheScheduleId() throws Exception {
    Path router =
        TestRouters.write(TestRouters.random(STEPS, 16, 0.5, 7), TMP.getRoot().toPath(), "r.json");
    PipelineResult r =
        sample("router", t -> t.withRouter(router.toString()).withTheta(0.5).withBatchSize(4));
    List<GeneratedSample> out = sorted("router");
    assertThat(out.size(), equalTo(requests.size()));
    assertThat(out.get(0).scheduleId(), startsWith("ddim" + STEPS + "-l2c-theta0.5-"));
    assertThat(counter(r, "unitsReused"), greaterThan(0L));
    assertThat(
        counter(r, "unitsComputed") + counter(r, "unitsReused"),
        lessThanOrEqualTo((long) requests.size() * STEPS * 16));
  }

  private static long counter(PipelineResult r, String name) {
    MetricQueryResults q =
        r.metrics()
            .queryMetrics(
                MetricsFilter.builder()
                    .addNameFilter(MetricNameFilter.named(CachedSample.class, name))
                    .build());
    long total = 0;
    for (MetricResult<Long> c : q.getCounters()) total += c.getAttempted();
    return total;
  }

  // ----------------------------------------------------------------------------------------------
  // bad input

  @Test
  public void missingModelIsRejectedAtConstruction() {
    Pipeline p = Pipeline.create();
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class, () -> p.apply(LoadModel.from("/no/such/model.pt")));
    assertThat(e.getMessage(), containsString("LoadModel.from"));
    assertThat(e.getMessage(), containsString("/no/such/model.pt"));
  }

  @Test
  public void thetaOutsideTheOpenUnitIntervalIsRejected() {
    Pipeline p = Pipeline.create();
    PCollectionView<ModelRef> model = p.apply(LoadModel.from(MODEL)).apply(View.asSingleton());
    for (double bad : new double[] {0.0, 1.0, -0.1, 1.5, Double.NaN}) {
      IllegalArgumentException e =
          assertThrows(
              IllegalArgumentException.class, () -> CachedSample.using(model).withTheta(bad));
      assertThat(e.getMessage(), containsString("withTheta"));
    }
  }

  @Test
  public void routerStepsMustMatchTheSamplerSteps() throws Exception {
    Path router =
        TestRouters.write(TestRouters.random(20, 16, 0.5, 1), TMP.getRoot().toPath(), "r20.json");
    Pipeline p = Pipeline.create();
    PCollectionView<ModelRef> model = p.apply(LoadModel.from(MODEL)).apply(View.asSingleton());
    PCollection<SampleRequest> in = p.apply(Create.of(requests));
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> in.apply(CachedSample.using(model).withRouter(router.toString()).withSteps(50)));
    assertThat(e.getMessage(), containsString("withRouter"));
    assertThat(e.getMessage(), containsString("20 sampling steps"));
    assertThat(e.getMessage(), containsString("withSteps is 50"));
  }

  @Test
  public void thetaWithoutARouterIsRejectedAtExpand() {
    Pipeline p = Pipeline.create();
    PCollectionView<ModelRef> model = p.apply(LoadModel.from(MODEL)).apply(View.asSingleton());
    PCollection<SampleRequest> in = p.apply(Create.of(requests));
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> in.apply(CachedSample.using(model).withTheta(0.2)));
    assertThat(e.getMessage(), containsString("withTheta"));
  }

  @Test
  public void anUnknownLabelFailsThePipelineNamingTheRequest() {
    Pipeline p = Pipeline.create(PipelineOptionsFactory.fromArgs("--runner=DirectRunner").create());
    PCollectionView<ModelRef> model = p.apply(LoadModel.from(MODEL)).apply(View.asSingleton());
    p.apply(Create.of(SampleRequest.of(42, 10, 1))).apply(CachedSample.using(model).withSteps(2));
    Exception e = assertThrows(Exception.class, () -> p.run().waitUntilFinish());
    Throwable root = e;
    while (root.getCause() != null && !(root instanceof IllegalArgumentException))
      root = root.getCause();
    assertThat(root.getMessage(), containsString("sample request 42 has label 10"));
    assertThat(root.getMessage(), containsString("10 classes"));
  }

  @Test
  public void badSettersFailEagerlyNamingTheOption() {
    Pipeline p = Pipeline.create();
    PCollectionView<ModelRef> model = p.apply(LoadModel.from(MODEL)).apply(View.asSingleton());
    CachedSample t = CachedSample.using(model);
    assertThat(
        assertThrows(IllegalArgumentException.class, () -> t.withSteps(0)).getMessage(),
        containsString("withSteps"));
    assertThat(
        assertThrows(IllegalArgumentException.class, () -> t.withBatchSize(0)).getMessage(),
        containsString("withBatchSize"));
    assertThat(
        assertThrows(IllegalArgumentException.class, () -> t.withSampler(null)).getMessage(),
        containsString("withSampler"));
    assertThat(
        assertThrows(IllegalArgumentException.class, () -> t.withCfgScale(0.5)).getMessage(),
        containsString("withCfgScale"));
    // A router file is read when the pipeline is built (expand), as Beam's IOs validate their
    // files.
    PCollection<SampleRequest> in = p.apply(Create.of(requests));
    assertThat(
        assertThrows(
                IllegalArgumentException.class, () -> in.apply(t.withRouter("/no/router.json")))
            .getMessage(),
        containsString("withRouter"));
  }
}
