package org.l2cbeam.pipelines.benchmark;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.SerializableCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.coders.VarIntCoder;
import org.apache.beam.sdk.transforms.Combine;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.Flatten;
import org.apache.beam.sdk.transforms.GroupByKey;
import org.apache.beam.sdk.transforms.MapElements;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.Partition;
import org.apache.beam.sdk.transforms.View;
import org.apache.beam.sdk.transforms.WithKeys;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionList;
import org.apache.beam.sdk.values.PCollectionView;
import org.apache.beam.sdk.values.TypeDescriptor;
import org.apache.beam.sdk.values.TypeDescriptors;
import org.l2cbeam.beam.CachedSample;
import org.l2cbeam.beam.ComputeFID;
import org.l2cbeam.beam.FidResult;
import org.l2cbeam.beam.GeneratedSample;
import org.l2cbeam.beam.GeneratedSampleCoder;
import org.l2cbeam.beam.LoadModel;
import org.l2cbeam.beam.ModelRef;
import org.l2cbeam.beam.ReadTrainingExamples;
import org.l2cbeam.beam.RouterArtifactCoder;
import org.l2cbeam.beam.Routers;
import org.l2cbeam.beam.SampleRequest;
import org.l2cbeam.beam.SampleRequestCoder;
import org.l2cbeam.beam.SharedModels;
import org.l2cbeam.beam.TrainRouter;
import org.l2cbeam.beam.WriteRouter;
import org.l2cbeam.core.diffusion.Guidance;
import org.l2cbeam.core.diffusion.SeededNoise;
import org.l2cbeam.core.model.ModelCheckpoint;
import org.l2cbeam.core.router.ModelFamily;
import org.l2cbeam.core.router.RouterArtifact;
import org.l2cbeam.core.router.StepPairing;
import org.l2cbeam.core.router.UniformSchedule;
import org.l2cbeam.pipelines.ModelOption;
import org.l2cbeam.pipelines.PipelineLauncher;
import org.l2cbeam.pipelines.PipelineOutputs;
import org.l2cbeam.pipelines.WorkerDeviceOptions;
import org.l2cbeam.pipelines.report.Measurement;

/**
 * The {@code benchmark} pipeline: the L2C study as one Beam pipeline built from the transforms.
 * {@link LoadModel}; per routed step count, {@link TrainRouter} on {@code --data} (or {@code
 * --routers}) and {@link WriteRouter}; per {@link BenchmarkPlan} setting, {@link CachedSample} over
 * the same requests, {@link ComputeFID} against {@code --reference-stats}, the summed model time of
 * its samples, and a sample grid; then one report (JSON, Markdown, the frontier plot and the router
 * heat map) from all settings.
 *
 * <p>Timing: every model call of the pipeline (sampling batches, feature batches, router training)
 * holds the worker's one model-call slot ({@code ModelCallGate}), so a setting's time is its own
 * batches' wall time, not disturbed by the other settings the runner runs at the same time.
 */
public final class BenchmarkPipeline {
  /** Images per class in each sample grid. */
  static final int GRID_COLUMNS = 8;

  private BenchmarkPipeline() {}

  /** Builds the pipeline, rejecting bad options with a message naming the option. */
  public static Pipeline build(BenchmarkOptions o) {
    int[] routed = BenchmarkPlan.parseSteps("--step-counts", o.getStepCounts(), false);
    List<SettingMethod> methods = SettingMethod.parseCached("--methods", o.getMethods());
    ModelFamily family = plannedFamily(o);
    String samplerTag = BenchmarkSetting.samplerTag(family);
    List<BenchmarkSetting> settings = plan(o, family);
    RequestSets requestSets =
        new RequestSets(o.getSamplesPerSetting(), o.getRequestSets(), o.getSeed());
    if (o.getModelBatch() < 1) {
      throw new IllegalArgumentException(
          "--model-batch: must be positive, got " + o.getModelBatch());
    }
    if (o.getOutput() == null || o.getOutput().isBlank())
      throw new IllegalArgumentException("--output: not given");
    try {
      SeededNoise.checkConsecutive(o.getSeed(), Math.toIntExact(requestSets.total()));
    } catch (IllegalArgumentException | ArithmeticException e) {
      throw new IllegalArgumentException("--seed: " + e.getMessage(), e);
    }
    boolean learned = methods.contains(SettingMethod.L2C);
    String[] routerFiles = learned ? routerFiles(o, routed.length) : null;
    Map<String, KnownResults.Known> known =
        KnownResults.read(o.getKnownResults(), settings, measurement(o));

    Pipeline p = Pipeline.create(o);
    PCollectionView<ModelRef> model = ModelOption.load(p, o.getModel(), o);
    OutputFolder out = new OutputFolder(o.getOutput());

    Map<Integer, PCollectionView<RouterArtifact>> routers = new LinkedHashMap<>();
    PCollection<org.l2cbeam.beam.TrainingExample> examples = null;
    for (int i = 0; learned && i < routed.length; i++) {
      int steps = routed[i];
      PCollection<RouterArtifact> router;
      if (routerFiles != null) {
        RouterArtifact artifact = Routers.read("--routers", routerFiles[i]);
        if (artifact.steps() != steps) {
          throw new IllegalArgumentException(
              "--routers: "
                  + routerFiles[i]
                  + " is for "
                  + artifact.steps()
                  + " steps, but --step-counts entry "
                  + (i + 1)
                  + " is "
                  + steps);
        }
        router =
            p.apply(
                "Router-" + samplerTag + steps,
                Create.of(artifact).withCoder(RouterArtifactCoder.of()));
      } else {
        if (examples == null) {
          try {
            examples =
                p.apply(
                    "ReadTrainingExamples",
                    ReadTrainingExamples.from(o.getTrainData()).forModel(model));
          } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("--train-data: " + e.getMessage(), e);
          }
        }
        router = examples.apply("TrainRouter-" + samplerTag + steps, trainer(model, steps, o));
        router.apply(
            "WriteRouter-" + samplerTag + steps,
            WriteRouter.to(out.file(routerFile(family, steps))));
      }
      routers.put(steps, router.apply("RouterView-" + samplerTag + steps, View.asSingleton()));
    }
    Map<String, PCollectionView<RouterArtifact>> uniform = new LinkedHashMap<>();
    for (SettingMethod m : methods) {
      if (m.uniform() == null) continue;
      for (int steps : routed) {
        uniform.put(
            uniformKey(m, samplerTag, steps),
            p.apply(
                    "Uniform-" + uniformKey(m, samplerTag, steps),
                    Create.of(steps).withCoder(VarIntCoder.of()))
                .apply(
                    "UniformRouter-" + uniformKey(m, samplerTag, steps),
                    ParDo.of(new UniformRouterFn(model, m.uniform())).withSideInputs(model))
                .setCoder(RouterArtifactCoder.of())
                .apply("UniformView-" + uniformKey(m, samplerTag, steps), View.asSingleton()));
      }
    }

    PCollection<SampleRequest> requests =
        p.apply("RequestCount", Create.of(0).withCoder(VarIntCoder.of()))
            .apply(
                "Requests", ParDo.of(new MakeRequestsFn(model, requestSets)).withSideInputs(model))
            .setCoder(SampleRequestCoder.of());

    List<PCollection<KV<String, SettingOutcome>>> outcomes = new ArrayList<>();
    List<PCollection<KV<String, GeneratedSample>>> grids = new ArrayList<>();
    int sets = requestSets.sets();
    for (BenchmarkSetting s : settings) {
      if (known.containsKey(s.name())) continue;
      PCollectionView<RouterArtifact> router =
          s.method() == SettingMethod.L2C
              ? routers.get(s.steps())
              : s.isCached() ? uniform.get(uniformKey(s.method(), samplerTag, s.steps())) : null;
      CachedSample sampler = sampler(model, s, router, o);
      PCollection<GeneratedSample> samples = requests.apply("Sample-" + s.name(), sampler);
      String name = s.name();
      PCollectionList<GeneratedSample> perSet =
          samples.apply(
              "RequestSets-" + name, Partition.of(sets, (g, n) -> requestSets.setOf(g.id())));
      for (int j = 0; j < sets; j++) {
        int set = j;
        String step = sets == 1 ? name : name + "-set" + j;
        outcomes.add(
            fid(perSet.get(j), "FID-" + step, o)
                .apply(
                    "FidOutcome-" + step,
                    MapElements.into(outcomeType())
                        .via(r -> KV.of(name, SettingOutcome.fid(name, set, sets, r.fid()))))
                .setCoder(outcomeCoder()));
      }
      outcomes.add(
          samples
              .apply(
                  "Time-" + s.name(),
                  MapElements.into(outcomeType())
                      .via(g -> KV.of(name, SettingOutcome.time(name, sets, 1, g.computeMicros()))))
              .setCoder(outcomeCoder()));
      grids.add(
          samples
              .apply(
                  "GridPick-" + s.name(),
                  ParDo.of(new PickGridSamplesFn(model, name)).withSideInputs(model))
              .setCoder(KvCoder.of(StringUtf8Coder.of(), GeneratedSampleCoder.of())));
    }
    List<KV<String, SettingOutcome>> knownOutcomes = new ArrayList<>();
    known.forEach((name, k) -> knownOutcomes.add(KV.of(name, k.outcome())));
    if (!knownOutcomes.isEmpty()) {
      outcomes.add(p.apply("KnownResults", Create.of(knownOutcomes).withCoder(outcomeCoder())));
    }

    if (!grids.isEmpty()) {
      PCollectionList.of(grids)
          .apply("AllGrids", Flatten.pCollections())
          .apply("GridGroups", GroupByKey.create())
          .apply("WriteGrids", ParDo.of(new WriteSampleGridFn(out, GRID_COLUMNS)));
    }

    List<org.apache.beam.sdk.values.PCollectionView<?>> sideInputs =
        new ArrayList<>(routers.values());
    sideInputs.add(model);
    List<String> notes = new ArrayList<>();
    known.forEach(
        (name, k) ->
            notes.add(
                name
                    + ": not sampled here; FIDs and latency from the earlier run "
                    + k.source()
                    + " (same model, requests and conditions)"));
    if (learned) notes.add(routerFiles == null ? trainingNote(o) : "routers: " + o.getRouters());
    PCollectionList.of(outcomes)
        .apply("AllOutcomes", Flatten.pCollections())
        .apply("PerSetting", Combine.perKey(SettingOutcome::merge))
        .apply(
            "OneReport",
            WithKeys.<Void, KV<String, SettingOutcome>>of((Void) null)
                .withKeyType(TypeDescriptors.voids()))
        .apply("Gather", GroupByKey.create())
        .apply(
            "WriteReport",
            ParDo.of(
                    new WriteBenchmarkReportFn(
                        out,
                        settings,
                        model,
                        routers,
                        measurement(o),
                        requestSets,
                        o.getModelBatch(),
                        notes))
                .withSideInputs(sideInputs));
    return p;
  }

  /** The settings the options describe, in report order. */
  static List<BenchmarkSetting> plan(BenchmarkOptions o) {
    return plan(o, plannedFamily(o));
  }

  private static List<BenchmarkSetting> plan(BenchmarkOptions o, ModelFamily family) {
    return BenchmarkPlan.settings(
        family,
        BenchmarkPlan.parseSteps("--step-counts", o.getStepCounts(), false),
        BenchmarkPlan.parseFractions("--macs-removed", o.getMacsRemoved()),
        BenchmarkPlan.parseSteps("--plain-steps", o.getPlainSteps(), true),
        SettingMethod.parseCached("--methods", o.getMethods()));
  }

  /**
   * What the run's FIDs depend on besides each setting: equal for two runs whose plain settings may
   * stand in for each other ({@code --known-results}).
   */
  static Measurement measurement(BenchmarkOptions o) {
    RequestSets sets = new RequestSets(o.getSamplesPerSetting(), o.getRequestSets(), o.getSeed());
    StringBuilder conditions = new StringBuilder();
    conditions
        .append("model batch ")
        .append(o.getModelBatch())
        .append(", extractor ")
        .append(o.getExtractor());
    if (o.getWeights() != null && !o.getWeights().isBlank())
      conditions.append(" (weights ").append(o.getWeights()).append(')');
    if (o.getVae() != null && !o.getVae().isBlank()) conditions.append(", VAE ").append(o.getVae());
    conditions
        .append(", kernels ")
        .append(o.getKernels())
        .append(", precision ")
        .append(o.getPrecision());
    return new Measurement(
        o.getModel(),
        o.getReferenceStats(),
        o.getCfgScale(),
        sets.describe(),
        conditions.toString());
  }

  private static String uniformKey(SettingMethod m, String sampler, int steps) {
    return m.id() + "-" + sampler + steps;
  }

  /**
   * The family whose sampler the settings are planned and named for: the checkpoint's, read here
   * when {@code --model} is local or builtin. A remote model is not read while the pipeline is
   * built, so it is planned as a DiT (DDIM).
   */
  static ModelFamily plannedFamily(BenchmarkOptions o) {
    ModelCheckpoint.Summary model = ModelOption.localSummary(o.getModel());
    return model == null ? ModelFamily.DIT : model.family;
  }

  /** The settings the options describe, by name, in report order (e.g. for progress totals). */
  public static List<String> settingNames(BenchmarkOptions o) {
    return plan(o).stream().map(BenchmarkSetting::name).toList();
  }

  /**
   * The settings the options describe that this run samples (those not taken from {@code
   * --known-results}), by name.
   */
  public static List<String> sampledSettingNames(BenchmarkOptions o) {
    List<BenchmarkSetting> settings = plan(o);
    Map<String, KnownResults.Known> known =
        KnownResults.read(o.getKnownResults(), settings, measurement(o));
    return settings.stream()
        .map(BenchmarkSetting::name)
        .filter(n -> !known.containsKey(n))
        .toList();
  }

  /**
   * Plain DDIM steps with the MACs of {@code steps} steps less {@code macsRemoved}: the equal-cost
   * partner of a cached setting ({@code round(N (1 − r))}).
   */
  public static int equalCostSteps(int steps, double macsRemoved) {
    return BenchmarkSetting.equalCostSteps(steps, macsRemoved);
  }

  /**
   * Router-training iterations the options ask for: per routed step count, one run per cache step
   * of the model family's pairing (DiT at N steps: N/2; U-ViT at NFE N: N/2 − 1). A remote model,
   * not read here, counts as a DiT.
   */
  public static long trainingIterations(BenchmarkOptions o) {
    if (o.getRouters() != null && !o.getRouters().isBlank()) return 0;
    if (!SettingMethod.parseCached("--methods", o.getMethods()).contains(SettingMethod.L2C))
      return 0;
    StepPairing pairing = plannedFamily(o).pairing();
    long cacheSteps = 0;
    for (int n : BenchmarkPlan.parseSteps("--step-counts", o.getStepCounts(), false)) {
      int rows = pairing.scheduleRows(n);
      for (int r = 0; r < rows; r++) if (pairing.isCacheRow(r, rows)) cacheSteps++;
    }
    return cacheSteps * o.getTrainIterations();
  }

  private static String[] routerFiles(BenchmarkOptions o, int count) {
    if (o.getRouters() == null || o.getRouters().isBlank()) return null;
    String[] files = o.getRouters().split(",");
    if (files.length != count) {
      throw new IllegalArgumentException(
          "--routers: "
              + files.length
              + " router(s) given for "
              + count
              + " --step-counts entries; give one per entry");
    }
    for (int i = 0; i < files.length; i++) files[i] = files[i].trim();
    return files;
  }

  private static TrainRouter trainer(
      PCollectionView<ModelRef> model, int steps, BenchmarkOptions o) {
    try {
      TrainRouter t =
          TrainRouter.using(model)
              .withSteps(steps)
              .withIterations(o.getTrainIterations())
              .withLearningRate(o.getTrainLr())
              .withBatchSize(o.getTrainBatch())
              .withSeed(o.getSeed())
              .withDataSource(o.getTrainData())
              .withDevice(WorkerDeviceOptions.requestedDevice(o));
      return o.getLambda() != null ? t.withLambda(o.getLambda()) : t;
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(trainOption(e.getMessage()) + e.getMessage(), e);
    }
  }

  private static String trainOption(String message) {
    if (message == null) return "";
    if (message.contains("withIterations")) return "--train-iterations: ";
    if (message.contains("withLearningRate")) return "--train-lr: ";
    if (message.contains("withBatchSize")) return "--train-batch: ";
    if (message.contains("withLambda")) return "--lambda: ";
    if (message.contains("withSteps")) return "--step-counts: ";
    return "";
  }

  private static String trainingNote(BenchmarkOptions o) {
    return String.format(
        java.util.Locale.ROOT,
        "routers: trained in this pipeline (TrainRouter, one router per cache step) on %s, %d iterations per cache"
            + " step of batch %d, lr %.3g, λ %s, seed %d",
        o.getTrainData(),
        o.getTrainIterations(),
        o.getTrainBatch(),
        o.getTrainLr(),
        o.getLambda() == null
            ? "the authors' value for the family and step count"
            : String.valueOf(o.getLambda()),
        o.getSeed());
  }

  private static CachedSample sampler(
      PCollectionView<ModelRef> model,
      BenchmarkSetting s,
      PCollectionView<RouterArtifact> router,
      BenchmarkOptions o) {
    CachedSample t;
    try {
      t =
          CachedSample.using(model)
              .withSteps(s.steps())
              .withCfgScale(o.getCfgScale())
              .withGuidedChannels(Guidance.Channels.ALL)
              .withBatchSize(o.getModelBatch())
              .withForwardBatch(o.getModelBatch())
              .withDevice(WorkerDeviceOptions.requestedDevice(o));
    } catch (IllegalArgumentException e) {
      String m = e.getMessage();
      String option =
          m.contains("withCfgScale")
              ? "--cfg-scale: "
              : m.contains("withSteps") ? "--step-counts: " : "";
      throw new IllegalArgumentException(option + m, e);
    }
    if (s.isCached()) {
      t = t.withRouter(router).withMacsRemoved(s.macsRemoved());
    }
    if (o.getVae() != null && !o.getVae().isBlank()) {
      try {
        t = t.withVae(o.getVae());
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("--vae: " + e.getMessage(), e);
      }
    }
    return t;
  }

  /**
   * The FID of {@code samples} as the options say. The reference statistics and weights are read
   * when the transform expands, so its errors, like the setters', are reported naming the option.
   */
  private static PCollection<FidResult> fid(
      PCollection<GeneratedSample> samples, String name, BenchmarkOptions o) {
    try {
      ComputeFID t =
          ComputeFID.against(o.getReferenceStats())
              .withExtractor(o.getExtractor())
              .withBatchSize(o.getModelBatch())
              .withDevice(WorkerDeviceOptions.requestedDevice(o));
      boolean weights = o.getWeights() != null && !o.getWeights().isBlank();
      return samples.apply(name, weights ? t.withWeights(o.getWeights()) : t);
    } catch (IllegalArgumentException e) {
      String m = e.getMessage();
      String option =
          m.contains("withExtractor")
              ? "--extractor: "
              : m.contains("withWeights") ? "--weights: " : "--reference-stats: ";
      throw new IllegalArgumentException(option + m, e);
    }
  }

  private static TypeDescriptor<KV<String, SettingOutcome>> outcomeType() {
    return TypeDescriptors.kvs(TypeDescriptors.strings(), TypeDescriptor.of(SettingOutcome.class));
  }

  private static KvCoder<String, SettingOutcome> outcomeCoder() {
    return KvCoder.of(StringUtf8Coder.of(), SerializableCoder.of(SettingOutcome.class));
  }

  /**
   * Every request of every set ({@link RequestSets}); made on a worker, where the model's class
   * count is known.
   */
  static final class MakeRequestsFn extends DoFn<Integer, SampleRequest> {
    private final PCollectionView<ModelRef> model;
    private final RequestSets sets;

    MakeRequestsFn(PCollectionView<ModelRef> model, RequestSets sets) {
      this.model = model;
      this.sets = sets;
    }

    @ProcessElement
    public void process(ProcessContext c) {
      int classes = c.sideInput(model).numClasses();
      for (int j = 0; j < sets.sets(); j++) {
        for (int i = 0; i < sets.perSet(); i++) c.output(sets.request(j, i, classes));
      }
    }
  }

  /**
   * A non-learned schedule of the model as a router artifact, for {@link CachedSample#withRouter}.
   */
  static final class UniformRouterFn extends DoFn<Integer, RouterArtifact> {
    private final PCollectionView<ModelRef> model;
    private final UniformSchedule.Kind kind;

    UniformRouterFn(PCollectionView<ModelRef> model, UniformSchedule.Kind kind) {
      this.model = model;
      this.kind = kind;
    }

    @ProcessElement
    public void process(ProcessContext c) {
      c.output(uniformRouter(c.sideInput(model), kind, c.element()));
    }
  }

  /** The same artifact on every worker: a function of the model and the rule alone. */
  static RouterArtifact uniformRouter(ModelRef ref, UniformSchedule.Kind kind, int steps) {
    return UniformSchedule.artifact(
        kind, ref.family(), steps, SharedModels.model(ref).macs(), ref.fingerprint());
  }

  /**
   * The first {@link #GRID_COLUMNS} requests of each class (ids below columns × classes), keyed by
   * setting.
   */
  static final class PickGridSamplesFn extends DoFn<GeneratedSample, KV<String, GeneratedSample>> {
    private final PCollectionView<ModelRef> model;
    private final String setting;

    PickGridSamplesFn(PCollectionView<ModelRef> model, String setting) {
      this.model = model;
      this.setting = setting;
    }

    @ProcessElement
    public void process(ProcessContext c) {
      if (c.element().id() < (long) GRID_COLUMNS * c.sideInput(model).numClasses()) {
        c.output(KV.of(setting, c.element()));
      }
    }
  }

  /**
   * What a run publishes in {@code --output}: the report (JSON, Markdown, the frontier plot, and
   * with the learned router its heat map), a sample grid per setting sampled here and, when routers
   * are trained here, each router JSON.
   */
  public static PipelineOutputs outputs(BenchmarkOptions o) {
    boolean learned =
        SettingMethod.parseCached("--methods", o.getMethods()).contains(SettingMethod.L2C);
    ModelFamily family = plannedFamily(o);
    List<String> names =
        new ArrayList<>(
            List.of(
                WriteBenchmarkReportFn.JSON,
                WriteBenchmarkReportFn.MARKDOWN,
                WriteBenchmarkReportFn.FRONTIER));
    if (learned) names.add(WriteBenchmarkReportFn.HEATMAP);
    for (String setting : sampledSettingNames(o)) names.add(WriteSampleGridFn.fileName(setting));
    if (learned && (o.getRouters() == null || o.getRouters().isBlank())) {
      for (int steps : BenchmarkPlan.parseSteps("--step-counts", o.getStepCounts(), false)) {
        names.add(routerFile(family, steps));
      }
    }
    return PipelineOutputs.inFolder("benchmark", "--output", o.getOutput(), names);
  }

  private static String routerFile(ModelFamily family, int steps) {
    return "router-" + BenchmarkSetting.plainName(family, steps) + ".json";
  }

  public static void main(String[] args) {
    PipelineLauncher.run("benchmark", java.util.Arrays.asList(args));
  }
}
