package org.l2cbeam.beam;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.not;
import static org.hamcrest.Matchers.startsWith;
import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertThrows;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.function.UnaryOperator;
import org.apache.beam.sdk.Pipeline;
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
import org.l2cbeam.core.diffusion.Guidance;
import org.l2cbeam.core.diffusion.SamplerKind;
import org.l2cbeam.core.diffusion.SamplingRun;
import org.l2cbeam.core.diffusion.SeededNoise;
import org.l2cbeam.core.model.DiffusionTransformer;
import org.l2cbeam.core.router.ModelFamily;
import org.l2cbeam.core.router.RouterArtifact;
import org.l2cbeam.core.router.train.InMemoryExamples;
import org.l2cbeam.core.router.train.RouterTraining;
import org.l2cbeam.core.router.train.RouterTrainingState;
import org.l2cbeam.core.router.train.TrainingRandom;
import org.l2cbeam.core.router.train.TrainingSettings;
import org.l2cbeam.core.router.train.UViTRouterObjective;

/**
 * LoadModel, CachedSample and TrainRouter on the small U-ViT of the test vectors (4x8x8 latents, 4
 * heads, 10 classes, 10 cache units), on DirectRunner: the transforms detect the family, sample
 * with DPM-Solver++(2S) and its two caches, and train U-ViT routers; the bytes equal core's
 * sampling run and router training; a router, sampler or option of the other family is refused
 * naming both sides.
 */
public class UViTTransformsTest {
  private static final Path VECTORS = Path.of("../l2c-core/src/test/resources/vectors");
  private static final String MODEL = VECTORS.resolve("uvit_model.pt").toString();
  private static final String OFFICIAL_ROUTER = VECTORS.resolve("uvit_router_ckpt.pth").toString();
  private static final int NFE = 10;

  @ClassRule public static final TemporaryFolder TMP = new TemporaryFolder();
  static final ConcurrentMap<String, List<GeneratedSample>> SAMPLES = new ConcurrentHashMap<>();
  static final ConcurrentMap<String, List<RouterArtifact>> ROUTERS = new ConcurrentHashMap<>();

  static List<SampleRequest> requests;
  static ModelRef ref;

  @BeforeClass
  public static void setUp() {
    requests = new ArrayList<>();
    for (int i = 0; i < 5; i++) requests.add(SampleRequest.of(i, (3 * i) % 10, 77 + i));
    ref = FamilyModels.describe(MODEL, 4, null);
  }

  static final class CollectSamples extends DoFn<GeneratedSample, Void> {
    private final String run;

    CollectSamples(String run) {
      this.run = run;
    }

    @ProcessElement
    public void process(@Element GeneratedSample s) {
      SAMPLES.computeIfAbsent(run, k -> Collections.synchronizedList(new ArrayList<>())).add(s);
    }
  }

  static final class CollectRouters extends DoFn<RouterArtifact, Void> {
    private final String run;

    CollectRouters(String run) {
      this.run = run;
    }

    @ProcessElement
    public void process(@Element RouterArtifact a) {
      ROUTERS.computeIfAbsent(run, k -> Collections.synchronizedList(new ArrayList<>())).add(a);
    }
  }

  private static Pipeline pipeline() {
    return Pipeline.create(PipelineOptionsFactory.fromArgs("--runner=DirectRunner").create());
  }

  private static PCollectionView<ModelRef> model(Pipeline p) {
    return p.apply(LoadModel.from(MODEL).withNumHeads(4)).apply(View.asSingleton());
  }

  private static List<GeneratedSample> sample(String run, UnaryOperator<CachedSample> configure) {
    Pipeline p = pipeline();
    p.apply(Create.of(requests))
        .apply(Reshuffle.viaRandomKey())
        .apply(configure.apply(CachedSample.using(model(p)).withSteps(NFE).withCfgScale(1.4)))
        .apply(ParDo.of(new CollectSamples(run)));
    p.run().waitUntilFinish();
    List<GeneratedSample> out = new ArrayList<>(SAMPLES.get(run));
    out.sort(Comparator.comparingLong(GeneratedSample::id));
    return out;
  }

  /**
   * Core's sampling run on one fixed chunk of 8 requests (the default forward batch), padded as
   * BatchSampler pads.
   */
  private static float[] coreLatents(RouterArtifact router, int request) {
    // On the model-call thread, in inference mode, as CachedSample samples; the test thread's grad
    // mode is untouched.
    return ModelCallGate.run(
        1,
        () -> {
          org.l2cbeam.core.runtime.Torch.inferenceMode();
          return coreLatentsHere(router, request);
        });
  }

  private static float[] coreLatentsHere(RouterArtifact router, int request) {
    DiffusionTransformer m = SharedModels.model(ref);
    long[] seeds = new long[BatchSampler.FORWARD_BATCH];
    long[] labels = new long[BatchSampler.FORWARD_BATCH];
    for (int i = 0; i < seeds.length; i++) {
      SampleRequest r = requests.get(Math.min(i, requests.size() - 1));
      seeds[i] = r.seed();
      labels[i] = r.label();
    }
    SamplingRun run =
        SamplingRun.of(m)
            .steps(NFE)
            .cfgScale(1.4)
            .schedule(router == null ? null : router.scores().schedule(router.theta()))
            .build();
    float[] all = run.sample(new SeededNoise(seeds), labels).samples();
    int per = 4 * 8 * 8;
    return java.util.Arrays.copyOfRange(all, request * per, (request + 1) * per);
  }

  @Test
  public void loadModelDetectsAUViT() {
    assertEquals(ModelFamily.UVIT, ref.family());
    assertEquals(10, ref.cacheUnits());
    assertEquals("the null label is not a class", 10, ref.numClasses());
    assertEquals(4, ref.numHeads());
    assertEquals(8, ref.inputSize());
  }

  @Test
  public void samplesEqualCoresSamplingRunWhateverTheBatchSize() {
    List<GeneratedSample> b2 = sample("plain-b2", t -> t.withBatchSize(2));
    List<GeneratedSample> b8 = sample("plain-b8", t -> t.withBatchSize(8));
    assertThat(b2.size(), equalTo(requests.size()));
    for (int i = 0; i < requests.size(); i++) {
      GeneratedSample s = b2.get(i);
      assertThat("a latent model without a VAE gives latents", s.isImage(), equalTo(false));
      assertThat(s.scheduleId(), equalTo("dpm-solver" + NFE));
      assertArrayEquals("request " + i + ", batch 2 vs 8", b8.get(i).latent(), s.latent(), 0f);
      assertArrayEquals("request " + i + " vs core", coreLatents(null, i), s.latent(), 0f);
    }
  }

  @Test
  public void anOfficialUViTRouterReusesUnitsWithTheSameBytesAsCore() {
    RouterArtifact official = Routers.read("test", OFFICIAL_ROUTER);
    assertEquals(ModelFamily.UVIT, official.family());
    List<GeneratedSample> routed =
        sample("routed", t -> t.withRouter(OFFICIAL_ROUTER).withBatchSize(3));
    List<GeneratedSample> plain = sample("plain-for-router", t -> t);
    for (int i = 0; i < requests.size(); i++) {
      assertThat(routed.get(i).scheduleId(), startsWith("dpm-solver" + NFE + "-l2c-theta0.9-"));
      assertArrayEquals("request " + i, coreLatents(official, i), routed.get(i).latent(), 0f);
    }
    assertThat(routed.get(0).latent(), not(equalTo(plain.get(0).latent())));
  }

  @Test
  public void aMacBudgetPicksThetaFromAUViTRouter() {
    List<GeneratedSample> out =
        sample("budget", t -> t.withRouter(OFFICIAL_ROUTER).withMacsRemoved(0.05));
    double removed = ScheduleId.macsRemoved(out.get(0).scheduleId());
    assertThat(removed >= 0.05, equalTo(true));
  }

  @Test
  public void aDiTRouterOnAUViTFailsNamingBoth() throws Exception {
    Path ditRouter =
        TestRouters.write(TestRouters.random(NFE, 10, 0.5, 3), TMP.getRoot().toPath(), "dit.json");
    Pipeline p = pipeline();
    p.apply(Create.of(requests))
        .apply(CachedSample.using(model(p)).withSteps(NFE).withRouter(ditRouter.toString()));
    String all = failure(p);
    assertThat(all, containsString("CachedSample.withRouter: the router is a dit router (ddim)"));
    assertThat(all, containsString("is a uvit model"));
  }

  @Test
  public void aUViTRouterWithADiTSamplerFailsWhenThePipelineIsBuilt() {
    Pipeline p = pipeline();
    PCollection<SampleRequest> in = p.apply(Create.of(requests));
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                in.apply(
                    CachedSample.using(model(p))
                        .withSteps(NFE)
                        .withSampler(SamplerKind.DDIM)
                        .withRouter(OFFICIAL_ROUTER)));
    assertThat(
        e.getMessage(),
        containsString("is a uvit router (dpm-solver++(2S)), but withSampler is ddim, a dit"));
  }

  @Test
  public void ditOnlySettingsFailOnAUViTNamingTheSetter() {
    assertThat(
        failure("ddim", t -> t.withSampler(SamplerKind.DDIM)),
        containsString("CachedSample.withSampler ddim"));
    assertThat(failure("odd", t -> t.withSteps(9)), containsString("CachedSample.withSteps 9"));
    assertThat(
        failure("channels", t -> t.withGuidedChannels(Guidance.Channels.FIRST_THREE)),
        containsString("CachedSample.withGuidedChannels 3 is a DiT option"));
  }

  @Test
  public void loadModelWithTheOtherFamilyFailsWhenThePipelineIsBuilt() {
    Pipeline p = pipeline();
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> p.apply(LoadModel.from(MODEL).withFamily(ModelFamily.DIT)));
    assertThat(e.getMessage(), containsString("LoadModel.withFamily(dit)"));
    assertThat(e.getMessage(), containsString("holds a uvit model"));
  }

  private static String failure(String name, UnaryOperator<CachedSample> configure) {
    Pipeline p = pipeline();
    p.apply(Create.of(requests))
        .apply(configure.apply(CachedSample.using(model(p)).withSteps(NFE)));
    return failure(p);
  }

  private static String failure(Pipeline p) {
    Throwable e = assertThrows(Throwable.class, () -> p.run().waitUntilFinish());
    StringBuilder all = new StringBuilder();
    for (Throwable c = e; c != null; c = c.getCause()) all.append(c.getMessage()).append('\n');
    return all.toString();
  }

  // -------------------------------------------------------------------------------------------
  // router training

  private static List<TrainingExample> latents() {
    float[] x = TrainingRandom.stream(5, TrainingRandom.Purpose.NOISE, 0).gaussians(6 * 4 * 8 * 8);
    List<TrainingExample> out = new ArrayList<>();
    for (int i = 0; i < 6; i++) {
      float[] v = java.util.Arrays.copyOfRange(x, i * 256, (i + 1) * 256);
      out.add(TrainingExample.of(i % 10, 4, 8, 8, v));
    }
    return out;
  }

  @Test
  public void trainRouterTrainsEveryUViTCacheStepAsCoreDoes() throws Exception {
    int nfe = 6; // outer steps 0..2: cache steps 1 and 2
    Path temp = TMP.newFolder().toPath();
    Pipeline p = pipeline();
    PCollectionView<ModelRef> view = model(p);
    TrainRouter spec =
        TrainRouter.using(view)
            .withSteps(nfe)
            .withIterations(2)
            .withBatchSize(2)
            .withSeed(3)
            .withLearningRate(1e-2)
            .withTempLocation(temp.toString());
    p.apply(Create.of(latents()).withCoder(TrainingExampleCoder.of()))
        .apply(spec)
        .apply(ParDo.of(new CollectRouters("uvit")));
    p.run().waitUntilFinish();
    RouterArtifact a = ROUTERS.get("uvit").get(0);
    assertEquals(ModelFamily.UVIT, a.family());
    assertEquals("dpm-solver++(2S)", a.sampler());
    assertEquals(0.9, a.theta(), 0);
    assertEquals(nfe, a.steps());

    InMemoryExamples set = CanonicalTrainingSet.of(latents(), "core");
    DiffusionTransformer m = SharedModels.model(ref);
    float[][] expected = null;
    for (int k : new int[] {1, 2}) {
      TrainingSettings settings = spec.settingsFor(ModelFamily.UVIT, k);
      assertEquals("U-ViT's λ", 0.1, settings.lambda(), 0);
      RouterTraining core =
          RouterTraining.of(m, ref.fingerprint(), settings, UViTRouterObjective.TimeInput.INTEGER);
      // On the model-call thread, as TrainRouter trains (the test thread's libtorch state depends
      // on earlier tests).
      RouterTrainingState s =
          ModelCallGate.run(1, () -> core.train(set, 2, null, 0, false, null, 0));
      if (expected == null) expected = s.logits();
      expected[k] = s.logits()[k];
    }
    float[][] got = a.scores().logits();
    for (int r = 0; r < got.length; r++)
      assertArrayEquals("router row " + r, expected[r], got[r], 0f);
    float[] initial =
        RouterTraining.of(
                m,
                ref.fingerprint(),
                spec.settingsFor(ModelFamily.UVIT, 1),
                UViTRouterObjective.TimeInput.INTEGER)
            .initialState()
            .logits()[1];
    assertThat("cache step 1 was trained", got[1], not(equalTo(initial)));
  }

  @Test
  public void aCacheStepOfTheOtherFamilyFailsTheTraining() {
    Pipeline p = pipeline();
    p.apply(Create.of(latents()).withCoder(TrainingExampleCoder.of()))
        .apply(
            TrainRouter.using(model(p))
                .withSteps(6)
                .withIterations(1)
                .withBatchSize(2)
                .withCacheSteps(0));
    String all = failure(p);
    assertThat(
        all,
        containsString("TrainRouter.withCacheSteps: 0 is not a cache step of 6 sampling steps"));
    assertThat(all, containsString("for a uvit; the cache steps are the outer steps 1..2"));
  }
}
