package org.l2cbeam.beam;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.not;
import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNotEquals;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import ai.djl.ndarray.NDManager;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.function.UnaryOperator;
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
import org.apache.beam.sdk.transforms.View;
import org.apache.beam.sdk.transforms.display.DisplayData;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionView;
import org.junit.AfterClass;
import org.junit.BeforeClass;
import org.junit.ClassRule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;
import org.l2cbeam.core.io.WeightMap;
import org.l2cbeam.core.model.DiT;
import org.l2cbeam.core.model.DiTConfig;
import org.l2cbeam.core.router.ModelFamily;
import org.l2cbeam.core.router.RouterArtifact;
import org.l2cbeam.core.router.RouterScores;
import org.l2cbeam.core.router.train.InMemoryExamples;
import org.l2cbeam.core.router.train.RouterTraining;
import org.l2cbeam.core.router.train.RouterTrainingState;
import org.l2cbeam.core.router.train.TrainingRandom;
import org.l2cbeam.core.runtime.Torch;
import org.l2cbeam.registry.RouterRegistry;

/**
 * TrainRouter on DirectRunner with the small DiT of the test vectors (4x8x8 inputs, 4 heads, 10
 * classes): the result equals core per-step training bit for bit, whatever the input order; a
 * resumed run equals an uninterrupted one; bad settings and bad data are rejected naming the option
 * or the problem.
 */
public class TrainRouterTest {
  private static final int SAMPLING_STEPS = 8;
  private static final long ITERATIONS = 4;
  private static final long SEED = 5;

  @ClassRule public static final TemporaryFolder TMP = new TemporaryFolder();

  /**
   * Outputs collected from pipelines, by run name (DoFn copies are serialized, so this is static).
   */
  static final ConcurrentMap<String, List<RouterArtifact>> COLLECTED = new ConcurrentHashMap<>();

  static String modelPath;
  static List<TrainingExample> examples;
  static NDManager manager;
  static DiT dit;
  static String fingerprint;

  @BeforeClass
  public static void setUp() throws URISyntaxException {
    modelPath =
        Path.of(TrainRouterTest.class.getResource("/dit_model.safetensors").toURI()).toString();
    float[] x =
        TrainingRandom.stream(99, TrainingRandom.Purpose.NOISE, 0).gaussians(10 * 4 * 8 * 8);
    examples = new ArrayList<>();
    for (int i = 0; i < 10; i++) {
      float[] v = new float[4 * 8 * 8];
      System.arraycopy(x, i * v.length, v, 0, v.length);
      examples.add(TrainingExample.of(i % 10, 4, 8, 8, v));
    }
    manager = Torch.newManager();
    WeightMap w = WeightMap.open(Path.of(modelPath));
    dit = DiT.load(w, DiTConfig.infer(w, 4), manager);
    fingerprint = w.fingerprint();
  }

  @AfterClass
  public static void tearDown() {
    dit.close();
    manager.close();
  }

  static final class Collect extends DoFn<RouterArtifact, Void> {
    private final String run;

    Collect(String run) {
      this.run = run;
    }

    @ProcessElement
    public void process(@Element RouterArtifact a) {
      COLLECTED.computeIfAbsent(run, k -> Collections.synchronizedList(new ArrayList<>())).add(a);
    }
  }

  private static TrainRouter configured(
      PCollectionView<ModelRef> model, long iterations, Path temp) {
    return TrainRouter.using(model)
        .withSteps(SAMPLING_STEPS)
        .withIterations(iterations)
        .withLearningRate(1e-2)
        .withBatchSize(2)
        .withSeed(SEED)
        .withCheckpointEvery(1)
        .withTempLocation(temp.toString());
  }

  private static Pipeline pipeline() {
    return Pipeline.create(PipelineOptionsFactory.fromArgs("--runner=DirectRunner").create());
  }

  private static PipelineResult train(
      String run, List<TrainingExample> input, UnaryOperator<TrainRouter> configure) {
    Pipeline p = pipeline();
    PCollectionView<ModelRef> model =
        p.apply(LoadModel.from(modelPath).withNumHeads(4)).apply(View.asSingleton());
    p.apply(Create.of(input).withCoder(TrainingExampleCoder.of()))
        .apply(Reshuffle.viaRandomKey())
        .apply(configure.apply(TrainRouter.using(model)))
        .apply(ParDo.of(new Collect(run)));
    PipelineResult result = p.run();
    result.waitUntilFinish();
    return result;
  }

  private static RouterArtifact only(String run) {
    List<RouterArtifact> out = COLLECTED.get(run);
    assertEquals("one artifact from " + run, 1, out.size());
    return out.get(0);
  }

  private static Path newTemp() throws Exception {
    return TMP.newFolder().toPath();
  }

  @Test
  public void equalsCorePerStepTrainingBitForBitWhateverTheInputOrder() throws Exception {
    Path t1 = newTemp();
    Path t2 = newTemp();
    train("forward", examples, t -> configured(tSpec(t), ITERATIONS, t1));
    List<TrainingExample> reversed = new ArrayList<>(examples);
    Collections.reverse(reversed);
    train("reversed", reversed, t -> configured(tSpec(t), ITERATIONS, t2));
    RouterArtifact a = only("forward");

    // The core's per-cache-step trainer, called directly on the same content with the same seed, on
    // the model-call
    // thread as TrainRouter trains: the libtorch state of the test thread depends on which tests
    // ran before it in this
    // JVM, and moved a logit by one ulp when another pipeline test ran first.
    InMemoryExamples set = CanonicalTrainingSet.of(examples, "core");
    TrainRouter spec = configured(dummyView(), ITERATIONS, t1);
    float[][] expected = null;
    for (int k = 0; k < SAMPLING_STEPS - 1; k += 2) {
      RouterTraining core =
          new RouterTraining(dit, fingerprint, spec.settingsFor(ModelFamily.DIT, k));
      RouterTrainingState s =
          ModelCallGate.run(1, () -> core.train(set, ITERATIONS, null, 0, false, null, 0));
      assertEquals(ITERATIONS, s.iteration());
      if (expected == null) expected = s.logits();
      expected[k] = s.logits()[k];
    }
    float[][] got = a.scores().logits();
    assertEquals(SAMPLING_STEPS, got.length);
    for (int r = 0; r < got.length; r++) {
      assertArrayEquals("router row " + r, bits(expected[r]), bits(got[r]));
    }
    assertEquals(fingerprint, a.modelFingerprint());
    assertEquals(only("forward").toJson(), only("reversed").toJson());
    assertThat(a.toJson(), containsString("\"created\": null"));
    assertEquals("per-step", a.provenance().training.get("cacheStep"));
    assertEquals(set.fingerprint(), a.provenance().training.get("dataFingerprint"));
  }

  @Test
  public void aResumedRunEndsBitIdenticalToAnUninterruptedOne() throws Exception {
    Path fresh = newTemp();
    train("uninterrupted", examples, t -> configured(tSpec(t), ITERATIONS, fresh));

    // A first attempt stops after 2 of the 4 iterations: its per-step checkpoints stay in the temp
    // location.
    Path shared = newTemp();
    train("partial", examples, t -> configured(tSpec(t), 2, shared));
    long checkpoints;
    try (var files = Files.walk(shared)) {
      checkpoints = files.filter(f -> f.toString().endsWith(".train.safetensors")).count();
    }
    assertEquals("one checkpoint per cache step", SAMPLING_STEPS / 2, checkpoints);
    PipelineResult resumed =
        train("resumed", examples, t -> configured(tSpec(t), ITERATIONS, shared));

    for (int k = 0; k < SAMPLING_STEPS - 1; k += 2) {
      assertEquals(
          "cache step " + k + " ran only the 2 missing iterations",
          2L,
          counter(resumed, "cacheStep" + k + ".iterations"));
    }
    assertNotEquals(only("partial").toJson(), only("resumed").toJson());
    assertEquals(only("uninterrupted").toJson(), only("resumed").toJson());
  }

  @Test
  public void reportsIterationsLossAndSpeedPerCacheStep() throws Exception {
    Path temp = newTemp();
    PipelineResult r =
        train(
            "metrics", examples, t -> configured(tSpec(t), ITERATIONS, temp).withCacheSteps(2, 4));
    assertEquals(ITERATIONS, counter(r, "cacheStep2.iterations"));
    assertEquals(ITERATIONS, counter(r, "cacheStep4.iterations"));
    assertEquals(2 * ITERATIONS, counter(r, "iterations"));
    assertTrue(gauge(r, "cacheStep2.lossE9") > 0);
    assertTrue(gauge(r, "cacheStep4.itPerSecE3") > 0);
    RouterArtifact a = only("metrics");
    assertArrayEquals(
        new long[] {0, 0, 4, 0, 4, 0, 0, 0}, toLongs(a.provenance().training.get("routerSteps")));
  }

  /**
   * A router for the test DiT at {@code steps} whose logits are nothing like the seed's normal
   * draws.
   */
  private static RouterArtifact startRouter(String modelFingerprint, int steps) {
    float[][] logits = new float[steps][];
    for (int k = 0; k < steps; k++) {
      logits[k] = new float[dit.config().depth * 2];
      for (int u = 0; u < logits[k].length; u++) logits[k][u] = 2.5f - 0.25f * u + 0.125f * k;
    }
    return new RouterArtifact(
        modelFingerprint,
        new RouterScores(ModelFamily.DIT, logits),
        "ddim",
        0.1,
        new RouterArtifact.Provenance("warm-start test", null, null, "TrainRouterTest", Map.of()));
  }

  @Test
  public void aWarmStartBeginsFromTheGivenRouterAndTheArtifactRecordsIt() throws Exception {
    RouterArtifact start = startRouter(fingerprint, SAMPLING_STEPS);
    Path file = TMP.newFolder().toPath().resolve("start.json");
    start.write(file);
    // Both runs share one checkpoint directory: the warm run must not resume the cold run's
    // checkpoint.
    Path temp = newTemp();
    train("cold2", examples, t -> configured(tSpec(t), 2, temp).withCacheSteps(2));
    train(
        "warm2",
        examples,
        t -> configured(tSpec(t), 2, temp).withCacheSteps(2).withInitialRouter(file.toString()));
    RouterArtifact cold = only("cold2");
    RouterArtifact warm = only("warm2");

    float[][] begin = start.scores().logits();
    float[][] got = warm.scores().logits();
    for (int r = 0; r < SAMPLING_STEPS; r++) {
      if (r != 2)
        assertArrayEquals(
            "untrained row " + r + " is the start router's", bits(begin[r]), bits(got[r]));
    }
    // Row 2 is core training from the start router's logits, and not where the cold run went.
    InMemoryExamples set = CanonicalTrainingSet.of(examples, "core");
    RouterTraining core =
        new RouterTraining(
                dit, fingerprint, configured(dummyView(), 2, temp).settingsFor(ModelFamily.DIT, 2))
            .startingFrom(begin);
    RouterTrainingState expected =
        ModelCallGate.run(1, () -> core.train(set, 2, null, 0, false, null, 0));
    assertArrayEquals(bits(expected.logits()[2]), bits(got[2]));
    assertThat(Arrays.toString(got[2]), not(equalTo(Arrays.toString(cold.scores().logits()[2]))));
    assertThat(Arrays.toString(got[2]), not(equalTo(Arrays.toString(begin[2]))));

    Map<?, ?> recorded = (Map<?, ?>) warm.provenance().training.get("warmStart");
    assertEquals(file.toString(), recorded.get("router"));
    assertEquals(null, recorded.get("version"));
    assertEquals(RouterRegistry.routerSha256(start), recorded.get("routerSha256"));
    assertTrue(warm.toJson().contains("\"warmStart\""));
    assertFalse(
        "a cold start records no warm start", cold.provenance().training.containsKey("warmStart"));
  }

  @Test
  public void aWarmStartFromAnotherModelOrStepCountFailsNamingBoth() throws Exception {
    Path file = TMP.newFolder().toPath().resolve("four-steps.json");
    startRouter(fingerprint, 4).write(file);
    PCollectionView<ModelRef> m = dummyView();
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                Pipeline.create()
                    .apply(Create.of(examples).withCoder(TrainingExampleCoder.of()))
                    .apply(
                        TrainRouter.using(m)
                            .withSteps(SAMPLING_STEPS)
                            .withIterations(1)
                            .withInitialRouter(file.toString())));
    assertThat(
        e.getMessage(),
        containsString("withInitialRouter: router " + file + " was trained for ddim-4"));
    assertThat(e.getMessage(), containsString("8 sampling steps"));
    assertMessage("registry+LOCATION", () -> TrainRouter.using(m).withInitialRouter("registry+"));

    // Another model's router, as a side input: known only when the pipeline runs.
    String otherModel = "ab".repeat(32);
    Pipeline p = pipeline();
    PCollectionView<ModelRef> model =
        p.apply(LoadModel.from(modelPath).withNumHeads(4)).apply(View.asSingleton());
    PCollectionView<RouterArtifact> other =
        p.apply(
                "Other",
                Create.of(startRouter(otherModel, SAMPLING_STEPS))
                    .withCoder(RouterArtifactCoder.of()))
            .apply(View.asSingleton());
    p.apply(Create.of(examples).withCoder(TrainingExampleCoder.of()))
        .apply(
            TrainRouter.using(model)
                .withSteps(SAMPLING_STEPS)
                .withIterations(1)
                .withBatchSize(2)
                .withTempLocation(newTemp().toString())
                .withInitialRouter(other));
    Throwable failure = assertThrows(Throwable.class, () -> p.run().waitUntilFinish());
    StringBuilder all = new StringBuilder();
    for (Throwable c = failure; c != null; c = c.getCause())
      all.append(c.getMessage()).append('\n');
    assertThat(
        all.toString(),
        containsString(
            "TrainRouter.withInitialRouter: router (side input) was trained for"
                + " model sha256 "
                + otherModel
                + ", ddim-8, but this training is for model "
                + modelPath
                + " (sha256 "
                + fingerprint
                + "), ddim-8"));
  }

  @Test
  public void badSettingsAreRejectedNamingTheOption() {
    PCollectionView<ModelRef> m = dummyView();
    assertMessage("model", () -> TrainRouter.using(null));
    assertMessage("withIterations", () -> TrainRouter.using(m).withIterations(0));
    assertMessage("withSteps", () -> TrainRouter.using(m).withSteps(7));
    assertMessage("withSteps", () -> TrainRouter.using(m).withSteps(0));
    assertMessage("λ", () -> TrainRouter.using(m).withLambda(-1e-6));
    assertMessage("withLambda", () -> TrainRouter.using(m).withLambda(Double.NaN));
    assertMessage("lr", () -> TrainRouter.using(m).withLearningRate(0));
    assertMessage(
        "withLearningRate", () -> TrainRouter.using(m).withLearningRate(Double.POSITIVE_INFINITY));
    assertMessage("withBatchSize", () -> TrainRouter.using(m).withBatchSize(0));
    assertMessage("checkpoint dir", () -> TrainRouter.using(m).withTempLocation("gs://bucket/tmp"));
    assertMessage("checkpoint dir", () -> TrainRouter.using(m).withTempLocation(" "));
    assertMessage("withCheckpointEvery", () -> TrainRouter.using(m).withCheckpointEvery(0));
    assertMessage("withTheta", () -> TrainRouter.using(m).withTheta(1.0));
    assertMessage("given twice", () -> TrainRouter.using(m).withCacheSteps(2, 2));
  }

  @Test
  public void expandRejectsASamplingStepsMismatchAndMissingIterations() {
    Pipeline p = pipeline();
    PCollectionView<ModelRef> model =
        p.apply(LoadModel.from(modelPath).withNumHeads(4)).apply(View.asSingleton());
    PCollection<TrainingExample> in =
        p.apply(Create.of(examples).withCoder(TrainingExampleCoder.of()));
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                in.apply(
                    "mismatch",
                    TrainRouter.using(model).withSteps(8).withIterations(1).withCacheSteps(8)));
    assertThat(
        e.getMessage(),
        containsString("withCacheSteps: 8 is not a cache step of 8 sampling steps"));
    assertThat(e.getMessage(), containsString("withSteps"));
    e =
        assertThrows(
            IllegalArgumentException.class,
            () -> in.apply("odd", TrainRouter.using(model).withCacheSteps(21).withIterations(1)));
    assertThat(e.getMessage(), containsString("21 is not a cache step of 20"));
    e =
        assertThrows(
            IllegalArgumentException.class,
            () -> in.apply("noIterations", TrainRouter.using(model)));
    assertThat(e.getMessage(), containsString("withIterations"));
  }

  @Test
  public void aMissingModelIsRejectedAtExpand() {
    Pipeline p = pipeline();
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> p.apply(LoadModel.from("/no/such/dit.safetensors")));
    assertThat(e.getMessage(), containsString("model"));
    assertThat(e.getMessage(), containsString("/no/such/dit.safetensors"));
  }

  @Test
  public void badDataFailsThePipelineNamingTheProblem() throws Exception {
    Path temp = newTemp();
    assertRunFails("is empty", new ArrayList<>(), temp, 2);
    List<TrainingExample> wrongShape = new ArrayList<>();
    for (int i = 0; i < 4; i++) wrongShape.add(TrainingExample.of(i, 1, 8, 8, new float[64]));
    assertRunFails("but the model takes 4x8x8", wrongShape, temp, 2);
    List<TrainingExample> badLabel = new ArrayList<>(examples);
    badLabel.add(TrainingExample.of(10, 4, 8, 8, new float[256]));
    assertRunFails("label 10, outside the model's 10 classes", badLabel, temp, 2);
    assertRunFails(
        "withBatch: batch 16 is larger than the 10 training examples", examples, temp, 16);
  }

  @Test
  public void displayDataShowsTheSettings() {
    DisplayData d =
        DisplayData.from(
            TrainRouter.using(dummyView()).withIterations(500).withLambda(1e-6).withSeed(7));
    String s = d.items().toString();
    assertThat(s, containsString("iterations=500"));
    assertThat(s, containsString("lambda=1.0E-6"));
    assertThat(s, containsString("seed=7"));
    assertThat(s, containsString("samplingSteps=20"));
  }

  private void assertRunFails(String message, List<TrainingExample> input, Path temp, int batch) {
    Pipeline p = pipeline();
    PCollectionView<ModelRef> model =
        p.apply(LoadModel.from(modelPath).withNumHeads(4)).apply(View.asSingleton());
    p.apply(Create.of(input).withCoder(TrainingExampleCoder.of()))
        .apply(
            TrainRouter.using(model)
                .withSteps(4)
                .withIterations(1)
                .withBatchSize(batch)
                .withTempLocation(temp.toString()));
    Throwable e = assertThrows(Throwable.class, () -> p.run().waitUntilFinish());
    StringBuilder all = new StringBuilder();
    for (Throwable c = e; c != null; c = c.getCause()) all.append(c.getMessage()).append('\n');
    assertThat(all.toString(), containsString(message));
    assertThat(all.toString(), containsString("TrainRouter"));
  }

  private static void assertMessage(String fragment, org.junit.function.ThrowingRunnable r) {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, r);
    assertThat(e.getMessage(), containsString(fragment));
  }

  /** A model view for transforms that are only configured, never expanded. */
  private static PCollectionView<ModelRef> dummyView() {
    Pipeline p = pipeline();
    return p.apply(Create.of("x"))
        .apply(
            org.apache.beam.sdk.transforms.MapElements.into(
                    org.apache.beam.sdk.values.TypeDescriptor.of(ModelRef.class))
                .via(s -> ModelRef.of(s, "f", "dit", 8, 4, 10, 4, 4, "{}")))
        .setCoder(ModelRefCoder.of())
        .apply(View.asSingleton());
  }

  /** The model view a test pipeline's TrainRouter was created with. */
  private static PCollectionView<ModelRef> tSpec(TrainRouter t) {
    return t.model();
  }

  private static long counter(PipelineResult r, String name) {
    long sum = 0;
    for (MetricResult<Long> c :
        r.metrics()
            .queryMetrics(
                MetricsFilter.builder()
                    .addNameFilter(MetricNameFilter.named(TrainRouter.class, name))
                    .build())
            .getCounters()) {
      sum += c.getAttempted();
    }
    return sum;
  }

  private static long gauge(PipelineResult r, String name) {
    for (var g :
        r.metrics()
            .queryMetrics(
                MetricsFilter.builder()
                    .addNameFilter(MetricNameFilter.named(TrainRouter.class, name))
                    .build())
            .getGauges()) {
      return g.getAttempted().getValue();
    }
    return -1;
  }

  private static int[] bits(float[] v) {
    int[] b = new int[v.length];
    for (int i = 0; i < v.length; i++) b[i] = Float.floatToIntBits(v[i]);
    return b;
  }

  private static long[] toLongs(Object o) {
    if (o instanceof long[]) return (long[]) o;
    List<?> l = (List<?>) o;
    long[] r = new long[l.size()];
    for (int i = 0; i < r.length; i++) r[i] = ((Number) l.get(i)).longValue();
    return r;
  }
}
