package org.l2cbeam.beam;

import com.google.auto.value.AutoValue;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.SerializableCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.coders.VarIntCoder;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.metrics.Distribution;
import org.apache.beam.sdk.metrics.Metrics;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.GroupByKey;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.Reshuffle;
import org.apache.beam.sdk.transforms.View;
import org.apache.beam.sdk.transforms.WithKeys;
import org.apache.beam.sdk.transforms.display.DisplayData;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionView;
import org.apache.beam.sdk.values.TypeDescriptors;
import org.checkerframework.checker.nullness.qual.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.l2cbeam.core.model.DiT;
import org.l2cbeam.core.router.ModelFamily;
import org.l2cbeam.core.router.RouterArtifact;
import org.l2cbeam.core.router.RouterScores;
import org.l2cbeam.core.router.train.AdamW;
import org.l2cbeam.core.router.train.AdamWConfig;
import org.l2cbeam.core.router.train.InMemoryExamples;
import org.l2cbeam.core.router.train.RouterCheckpoint;
import org.l2cbeam.core.router.train.RouterTrainer;
import org.l2cbeam.core.router.train.RouterTraining;
import org.l2cbeam.core.router.train.RouterTrainingState;
import org.l2cbeam.core.router.train.TrainingSettings;
import org.l2cbeam.core.runtime.ComputeDevice;

/**
 * Learns an L2C router for a DiT (DDIM) from class-labelled examples: {@code PCollection<TrainingExample>} →
 * {@code PCollection<RouterArtifact>} (one element), the transform a Beam user composes between {@link LoadModel}
 * and {@link CachedSample}.
 *
 * <pre>{@code
 * PCollectionView<ModelRef> model = p.apply(LoadModel.from("builtin:fmnist-dit")).apply(View.asSingleton());
 * PCollection<RouterArtifact> router =                    // 40 iterations x 10 cache steps: minutes on a CPU
 *     examples.apply(TrainRouter.using(model).withSamplingSteps(20).withIterations(40)
 *         .withLearningRate(5e-2).withBatch(16).withSeed(0));
 * }</pre>
 *
 * <h2>How it runs</h2>
 * It fans out per cache step: one element per trained router row k (the even DDIM indices 0..N−2, or
 * {@link #withCacheSteps}), spread over workers, and each trains router k alone with core router training
 * ({@code RouterTraining.train} with settings for cache step k) for {@link #withIterations} iterations on the whole
 * example set. The per-step routers are then merged into one {@link RouterArtifact} whose provenance records the
 * settings, the per-router Adam step counts, a loss-curve summary per cache step and the model and data
 * fingerprints.
 *
 * <p><b>Why per-step training is the same problem.</b> Router k is read only at cache step k. The cache it mixes
 * with is recorded by full step k+1, which computes every unit and so uses no router, and x at step k+1 is the clean
 * input noised by q_sample, which uses no router either. The loss at cache step k therefore depends on {@code p_k}
 * and the frozen model alone: its gradient is zero for every other router, AdamW keeps moments and step counts per
 * router, and with {@code zero_grad(set_to_none=True)} (PyTorch ≥ 2, the authors' runs) an unused router does not
 * move. Training each router on its own key, on its own worker, is thus the original's optimisation with the
 * interleaving of the k draws removed (the core's {@code RouterTrainer} documents and tests the same argument).
 *
 * <h2>Determinism</h2>
 * The examples arrive in no particular order, so each trainer first sorts them by content
 * ({@link CanonicalTrainingSet}); every random draw then comes from (seed, iteration) streams. The artifact is a
 * function of the example set, the model and the settings alone: bit-identical for any runner, parallelism or
 * bundling, and its JSON carries no wall-clock time, so a re-run writes the same bytes.
 *
 * <h2>Cost</h2>
 * {@link #withIterations} counts per cache step, and every cache step is trained: N/2 of them at DDIM-N. So
 * {@code withIterations(500)} at DDIM-20 is 5 000 training iterations (each three DiT forwards and one backward on a
 * batch), hours on a CPU for the bundled model. A quick try: {@code withIterations(2)}, or {@link #withCacheSteps}.
 *
 * <h2>Resume</h2>
 * Each cache step checkpoints to {@link #withTempLocation} (else the pipeline's local {@code --tempLocation}, else
 * {@code java.io.tmpdir/l2c-USER}, one per user and owner-only) every {@link #withCheckpointEvery} iterations and at
 * the end, under a directory named by a hash of the model, the data and the settings. A retried bundle, or a later
 * run of the same training with as many or more iterations (a notebook's re-run, the same pipeline run again),
 * resumes from there instead of training again, and ends bit-identical to an uninterrupted run. Point {@link
 * #withTempLocation} at an empty directory to train from scratch.
 *
 * <h2>One model and one gradient collector per JVM</h2>
 * The DiT is loaded once per worker JVM ({@link SharedModels}) and shared by every trainer thread; DJL allows one
 * gradient collector per JVM, and one libtorch call already uses every core, so the cache steps given to one JVM train
 * one after another ({@link ModelCallGate}, shared with {@link CachedSample} and {@link ComputeFID}, so that the
 * timings of a benchmark pipeline are never taken while a trainer competes for the cores); other workers train
 * other cache steps at the same time.
 *
 * <h2>Metrics</h2>
 * Namespace {@code org.l2cbeam.beam.TrainRouter}, per cache step k: counter {@code cacheStepK.iterations}
 * (iterations run by this attempt; a resumed run counts only the new ones), gauges {@code cacheStepK.lossE9} (mean
 * loss of the last reporting window × 1e9; Beam metrics are integers) and {@code cacheStepK.itPerSecE3}
 * (iterations per second × 1000); over all steps counter {@code iterations} and distribution
 * {@code cacheStepMillis}.
 *
 * <p>Bad settings are rejected by the {@code with*} setters or at expand time, naming the option. Data problems
 * (an empty input, shapes or labels that do not fit the model, fewer examples than a batch) can only be seen once
 * the examples exist and fail the pipeline with a message naming {@code TrainRouter} and the problem.
 */
@AutoValue
public abstract class TrainRouter extends PTransform<PCollection<TrainingExample>, PCollection<RouterArtifact>> {
  private static final long serialVersionUID = 1L;
  static final int DEFAULT_SAMPLING_STEPS = 20;
  static final int DEFAULT_BATCH = 8;
  static final long DEFAULT_CHECKPOINT_EVERY = 100;
  /** Iterations between metric updates. */
  private static final long REPORT_EVERY = 10;

  abstract PCollectionView<ModelRef> model();

  abstract int samplingSteps();

  abstract @Nullable Long iterations();

  /** Null: the authors' README value for the step count ({@link TrainingSettings#defaultLambda(int)}). */
  abstract @Nullable Double lambda();

  abstract double learningRate();

  abstract int batch();

  abstract long seed();

  abstract long checkpointEvery();

  abstract @Nullable String tempLocation();

  /** Null: every cache step of the sampler. */
  @SuppressWarnings("mutable")
  abstract int @Nullable [] cacheSteps();

  abstract @Nullable Double theta();

  abstract String dataSource();

  abstract @Nullable ComputeDevice device();

  abstract Builder toBuilder();

  @AutoValue.Builder
  abstract static class Builder {
    abstract Builder setModel(PCollectionView<ModelRef> model);

    abstract Builder setSamplingSteps(int samplingSteps);

    abstract Builder setIterations(@Nullable Long iterations);

    abstract Builder setLambda(@Nullable Double lambda);

    abstract Builder setLearningRate(double lr);

    abstract Builder setBatch(int batch);

    abstract Builder setSeed(long seed);

    abstract Builder setCheckpointEvery(long every);

    abstract Builder setTempLocation(@Nullable String location);

    abstract Builder setCacheSteps(int @Nullable [] cacheSteps);

    abstract Builder setTheta(@Nullable Double theta);

    abstract Builder setDataSource(String source);

    abstract Builder setDevice(@Nullable ComputeDevice device);

    abstract TrainRouter build();
  }

  /** Trains routers for the model of {@code model} (from {@link LoadModel}, as a singleton side input). */
  public static TrainRouter using(PCollectionView<ModelRef> model) {
    if (model == null) {
      throw new IllegalArgumentException("TrainRouter.using: the model side input is null (use LoadModel)");
    }
    return new AutoValue_TrainRouter.Builder()
        .setModel(model)
        .setSamplingSteps(DEFAULT_SAMPLING_STEPS)
        .setLearningRate(AdamWConfig.DEFAULT_LR)
        .setBatch(DEFAULT_BATCH)
        .setSeed(0L)
        .setCheckpointEvery(DEFAULT_CHECKPOINT_EVERY)
        .setDataSource("PCollection<TrainingExample>")
        .build();
  }

  /**
   * Training steps (iterations) for each cache step's router; required. The whole training is this times the number
   * of cache steps (10 at DDIM-20): {@code withIterations(500)} is 5 000 iterations, hours on a CPU.
   */
  public TrainRouter withIterations(long iterations) {
    if (iterations < 1) {
      throw new IllegalArgumentException(
          "TrainRouter.withIterations: training steps per cache step must be >= 1, got " + iterations);
    }
    return toBuilder().setIterations(iterations).build();
  }

  /** DDIM sampling steps N the router is for (default 20): even, so that steps pair into full and cache steps. */
  public TrainRouter withSamplingSteps(int samplingSteps) {
    if (samplingSteps < 2 || samplingSteps % 2 != 0) {
      throw new IllegalArgumentException(
          "TrainRouter.withSamplingSteps: sampling steps must be even and >= 2 (DiT pairs full step 2j+1 with cache"
              + " step 2j), got " + samplingSteps);
    }
    return toBuilder().setSamplingSteps(samplingSteps).build();
  }

  /** λ, the weight of the L1 term Σ sigmoid(p); default 5e-6 for 20 sampling steps, 1e-6 for 50 (and 10). */
  public TrainRouter withLambda(double lambda) {
    if (!(lambda >= 0) || !Double.isFinite(lambda)) {
      throw new IllegalArgumentException("TrainRouter.withLambda: λ must be finite and >= 0, got " + lambda);
    }
    return toBuilder().setLambda(lambda).build();
  }

  /** AdamW learning rate (default 1e-3; constant, betas 0.9/0.999, eps 1e-8, no weight decay). */
  public TrainRouter withLearningRate(double lr) {
    if (!(lr > 0) || !Double.isFinite(lr)) {
      throw new IllegalArgumentException("TrainRouter.withLearningRate: lr must be positive and finite, got " + lr);
    }
    return toBuilder().setLearningRate(lr).build();
  }

  /** Examples per iteration (default 8). */
  public TrainRouter withBatch(int batch) {
    if (batch < 1) {
      throw new IllegalArgumentException("TrainRouter.withBatch: batch must be >= 1, got " + batch);
    }
    return toBuilder().setBatch(batch).build();
  }

  /** The seed of every random draw: initial routers, example order, noise, label dropout (default 0). */
  public TrainRouter withSeed(long seed) {
    return toBuilder().setSeed(seed).build();
  }

  /**
   * The local directory for resumable training checkpoints (default: the pipeline's local {@code --tempLocation},
   * else {@code java.io.tmpdir/l2c-USER}). A run whose model, data and settings match a checkpoint there resumes it.
   */
  public TrainRouter withTempLocation(String directory) {
    TrainingCheckpoints.checkLocal("TrainRouter.withTempLocation (checkpoint dir)", directory);
    return toBuilder().setTempLocation(directory).build();
  }

  /** Iterations between checkpoints (default 100; a checkpoint is also written at the end). */
  public TrainRouter withCheckpointEvery(long iterations) {
    if (iterations < 1) {
      throw new IllegalArgumentException(
          "TrainRouter.withCheckpointEvery: checkpoint interval must be >= 1 iteration, got " + iterations);
    }
    return toBuilder().setCheckpointEvery(iterations).build();
  }

  /**
   * Trains only these cache steps' routers (even indices below the sampling steps), e.g. to split the work over
   * several jobs; the others keep their seeded initial values. Default: all.
   */
  public TrainRouter withCacheSteps(int... cacheSteps) {
    if (cacheSteps == null || cacheSteps.length == 0) {
      throw new IllegalArgumentException("TrainRouter.withCacheSteps: give at least one cache step");
    }
    int[] sorted = cacheSteps.clone();
    Arrays.sort(sorted);
    for (int i = 1; i < sorted.length; i++) {
      if (sorted[i] == sorted[i - 1]) {
        throw new IllegalArgumentException("TrainRouter.withCacheSteps: cache step " + sorted[i] + " given twice");
      }
    }
    return toBuilder().setCacheSteps(sorted).build();
  }

  /** The threshold θ in (0, 1) stored in the artifact (default DiT's 0.1); CachedSample may override it. */
  public TrainRouter withTheta(double theta) {
    if (!(theta > 0 && theta < 1)) {
      throw new IllegalArgumentException("TrainRouter.withTheta: theta must be in (0, 1), got " + theta);
    }
    return toBuilder().setTheta(theta).build();
  }

  /**
   * Where the workers run the model the routers are trained through: {@code ComputeDevice.parse("gpu", ...)},
   * {@link ComputeDevice#CPU}, or {@link ComputeDevice#AUTO} (the first GPU a worker's engine sees, else its CPU).
   * Unset, each worker JVM's default ({@code -Dl2c.device}, itself {@code auto} unless set). A worker asked for a GPU
   * it does not see fails with one line naming the device and the engine build. On a GPU the model runs the plain
   * kernels (the oneDNN ones are CPU-only), one copy per device and worker JVM.
   */
  public TrainRouter withDevice(ComputeDevice device) {
    if (device == null) throw new IllegalArgumentException("TrainRouter.withDevice: device must not be null");
    return toBuilder().setDevice(device).build();
  }

  /** A description of the data recorded in the artifact's provenance (e.g. the directory it was read from). */
  public TrainRouter withDataSource(String source) {
    if (source == null || source.isBlank()) {
      throw new IllegalArgumentException("TrainRouter.withDataSource: the description is empty");
    }
    return toBuilder().setDataSource(source).build();
  }

  /** The settings of cache step {@code k}'s run; also validates the combination, naming the option. */
  TrainingSettings settingsFor(int cacheStep) {
    double l = lambda() != null ? lambda() : TrainingSettings.defaultLambda(samplingSteps());
    return new TrainingSettings(
        samplingSteps(), l, AdamWConfig.l2c(learningRate()), batch(), seed(), cacheStep, AdamW.ZeroGrad.SET_TO_NONE);
  }

  /** The cache steps this transform trains, in order. */
  int[] trainedCacheSteps() {
    int[] all = settingsFor(TrainingSettings.RANDOM_CACHE_STEP).cacheStepRows();
    if (cacheSteps() == null) return all;
    for (int k : cacheSteps()) {
      if (Arrays.stream(all).noneMatch(r -> r == k)) {
        throw new IllegalArgumentException(
            "TrainRouter.withCacheSteps: " + k + " is not a cache step of " + samplingSteps()
                + " sampling steps (withSamplingSteps); the cache steps are the even indices 0.."
                + (samplingSteps() - 2));
      }
    }
    return cacheSteps().clone();
  }

  @Override
  public PCollection<RouterArtifact> expand(PCollection<TrainingExample> examples) {
    if (iterations() == null) {
      throw new IllegalArgumentException(
          "TrainRouter.withIterations: the number of training steps per cache step is not set");
    }
    int[] steps = trainedCacheSteps();
    List<Integer> keys = Arrays.stream(steps).boxed().collect(Collectors.toList());
    PCollectionView<Iterable<TrainingExample>> data =
        examples.apply("ExamplesView", View.asIterable());
    PCollection<CacheStepRouter> perStep =
        examples.getPipeline()
            .apply("CacheSteps", Create.of(keys).withCoder(VarIntCoder.of()))
            // One element per router: spread them so that each worker trains its own cache steps.
            .apply("SpreadCacheSteps", Reshuffle.viaRandomKey())
            .apply(
                "TrainPerCacheStep",
                ParDo.of(new TrainCacheStepFn(this, data)).withSideInputs(model(), data))
            .setCoder(SerializableCoder.of(CacheStepRouter.class));
    return perStep
        .apply("OneRouter", WithKeys.<String, CacheStepRouter>of("router").withKeyType(TypeDescriptors.strings()))
        .setCoder(KvCoder.of(StringUtf8Coder.of(), SerializableCoder.of(CacheStepRouter.class)))
        .apply("GatherCacheSteps", GroupByKey.create())
        .apply("MergeRouters", ParDo.of(new MergeFn(this, steps)))
        .setCoder(RouterArtifactCoder.of());
  }

  @Override
  public void populateDisplayData(DisplayData.Builder builder) {
    super.populateDisplayData(builder);
    builder
        .add(DisplayData.item("samplingSteps", samplingSteps()).withLabel("DDIM sampling steps"))
        .addIfNotNull(DisplayData.item("iterations", iterations()).withLabel("Training steps per cache step"))
        .add(DisplayData.item("lambda", settingsFor(TrainingSettings.RANDOM_CACHE_STEP).lambda()).withLabel("λ (L1 weight)"))
        .add(DisplayData.item("learningRate", learningRate()).withLabel("AdamW learning rate"))
        .add(DisplayData.item("batch", batch()).withLabel("Examples per iteration"))
        .add(DisplayData.item("seed", seed()).withLabel("Seed"))
        .add(DisplayData.item("checkpointEvery", checkpointEvery()).withLabel("Iterations between checkpoints"))
        .addIfNotNull(DisplayData.item("tempLocation", tempLocation()).withLabel("Checkpoint directory"))
        .addIfNotNull(DisplayData.item("device", device() == null ? null : device().toString()).withLabel("Device"))
        .addIfNotNull(
            DisplayData.item("cacheSteps", cacheSteps() == null ? null : Arrays.toString(cacheSteps()))
                .withLabel("Cache steps trained"))
        .addIfNotNull(DisplayData.item("theta", theta()).withLabel("Threshold θ stored in the artifact"))
        .add(DisplayData.item("dataSource", dataSource()).withLabel("Training data"));
  }

  /** Trains the router of one cache step (the element) on the whole example set, resuming from its checkpoint. */
  static final class TrainCacheStepFn extends DoFn<Integer, CacheStepRouter> {
    private static final Logger LOG = LoggerFactory.getLogger(TrainRouter.class);
    private final Counter iterationsRun = Metrics.counter(TrainRouter.class, "iterations");
    private final Distribution cacheStepMillis = Metrics.distribution(TrainRouter.class, "cacheStepMillis");

    private final TrainRouter spec;
    private final PCollectionView<Iterable<TrainingExample>> data;
    private final TrainingCheckpoints checkpoints;

    TrainCacheStepFn(TrainRouter spec, PCollectionView<Iterable<TrainingExample>> data) {
      this.spec = spec;
      this.data = data;
      this.checkpoints = new TrainingCheckpoints(spec.tempLocation());
    }

    @ProcessElement
    public void process(ProcessContext c) {
      int k = c.element();
      long start = System.nanoTime();
      ModelRef ref = c.sideInput(spec.model());
      InMemoryExamples set = CanonicalTrainingSet.of(c.sideInput(data), "TrainRouter input (" + spec.dataSource() + ")");
      checkFits(set, ref);
      TrainingSettings settings = spec.settingsFor(k);
      Path checkpoint =
          checkpoints.file(
              c.getPipelineOptions().getTempLocation(), ref.fingerprint(), set.fingerprint(),
              spec.settingsFor(TrainingSettings.RANDOM_CACHE_STEP), k);
      boolean resume = prepareCheckpoint(checkpoint, spec.iterations());

      DiT dit = DitModels.shared(ref, ComputeDevice.resolveOrDefault(spec.device()));
      RouterTraining training = new RouterTraining(dit, ref.fingerprint(), settings);
      String prefix = "cacheStep" + k + ".";
      Counter stepIterations = Metrics.counter(TrainRouter.class, prefix + "iterations");
      org.apache.beam.sdk.metrics.Gauge loss = Metrics.gauge(TrainRouter.class, prefix + "lossE9");
      org.apache.beam.sdk.metrics.Gauge speed = Metrics.gauge(TrainRouter.class, prefix + "itPerSecE3");
      long[] reported = {-1};
      RouterTrainer.Progress progress =
          (done, total, meanLoss, meanL1, itPerSec) -> {
            if (reported[0] >= 0) { // the first report's window starts where a resumed run began
              stepIterations.inc(done - reported[0]);
              iterationsRun.inc(done - reported[0]);
            }
            reported[0] = done;
            loss.set(Math.round(meanLoss * 1e9));
            speed.set(Math.round(itPerSec * 1e3));
          };
      long before = resume ? RouterCheckpoint.read(checkpoint).state().iteration() : 0;
      reported[0] = before;
      LOG.info("TrainRouter: training cache step {}: iterations {}..{} of {} on {} examples (checkpoint {})", k,
          before + 1, spec.iterations(), spec.iterations(), set.size(), checkpoint);
      RouterTrainingState state =
          ModelCallGate.run(
              1,
              () ->
                  training.train(
                      set, spec.iterations(), checkpoint, spec.checkpointEvery(), resume, progress, REPORT_EVERY));
      c.output(new CacheStepRouter(k, state.logits(), training.provenance(state, set.fingerprint()), set.fingerprint()));
      cacheStepMillis.update((System.nanoTime() - start) / 1_000_000);
      LOG.info("TrainRouter: cache step {} trained to iteration {} in {} s", k, state.iteration(),
          Logs.seconds(start));
    }

    private void checkFits(InMemoryExamples set, ModelRef ref) {
      try {
        set.checkFitsModel(ref.inChannels(), ref.inputSize(), ref.inputSize(), ref.numClasses());
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("TrainRouter: " + e.getMessage() + " (model " + ref.uri() + ")", e);
      }
      if (set.size() < spec.batch()) {
        throw new IllegalArgumentException(
            "TrainRouter.withBatch: batch " + spec.batch() + " is larger than the " + set.size()
                + " training examples in the input");
      }
    }

    /**
     * True if {@code checkpoint} holds this run's progress to continue from. A checkpoint beyond the requested
     * length (a longer earlier run of the same problem) cannot be rewound, so it is replaced by a fresh run.
     */
    private static boolean prepareCheckpoint(Path checkpoint, long iterations) {
      try {
        Files.createDirectories(checkpoint.getParent());
        if (!Files.exists(checkpoint)) return false;
        if (RouterCheckpoint.read(checkpoint).state().iteration() <= iterations) return true;
        Files.delete(checkpoint);
        return false;
      } catch (IOException e) {
        throw new UncheckedIOException(
            "TrainRouter.withTempLocation (checkpoint dir): cannot use " + checkpoint + ": " + e.getMessage(), e);
      }
    }
  }

  /** Assembles the per-step routers into one artifact with the training provenance. */
  static final class MergeFn extends DoFn<KV<String, Iterable<CacheStepRouter>>, RouterArtifact> {
    private final TrainRouter spec;
    private final int[] expectedSteps;

    MergeFn(TrainRouter spec, int[] expectedSteps) {
      this.spec = spec;
      this.expectedSteps = expectedSteps.clone();
    }

    @ProcessElement
    public void process(@Element KV<String, Iterable<CacheStepRouter>> all, OutputReceiver<RouterArtifact> out) {
      TreeMap<Integer, CacheStepRouter> byStep = new TreeMap<>();
      for (CacheStepRouter r : all.getValue()) byStep.put(r.cacheStep, r);
      int[] got = byStep.keySet().stream().mapToInt(Integer::intValue).toArray();
      if (!Arrays.equals(got, expectedSteps)) {
        throw new IllegalStateException(
            "TrainRouter: expected routers for cache steps " + Arrays.toString(expectedSteps) + ", got "
                + Arrays.toString(got));
      }
      out.output(merge(spec, new ArrayList<>(byStep.values())));
      LoggerFactory.getLogger(TrainRouter.class).info("TrainRouter: merged the routers of cache steps {}",
          byStep.keySet());
    }
  }

  /**
   * The artifact of per-step routers sorted by cache step: row k from step k's run, every other row from the first
   * run (untrained rows are the seed's initial routers, identical in every run). No creation time is recorded, so
   * the JSON depends on the inputs and settings only.
   */
  static RouterArtifact merge(TrainRouter spec, List<CacheStepRouter> routers) {
    CacheStepRouter first = routers.get(0);
    float[][] logits = new float[first.logits.length][];
    for (int r = 0; r < logits.length; r++) logits[r] = first.logits[r].clone();
    long[] routerSteps = new long[logits.length];
    Map<String, Object> lossPerStep = new LinkedHashMap<>();
    for (CacheStepRouter r : routers) {
      if (!r.dataFingerprint.equals(first.dataFingerprint)) {
        throw new IllegalStateException(
            "TrainRouter: cache steps " + first.cacheStep + " and " + r.cacheStep + " saw different data ("
                + first.dataFingerprint + " vs " + r.dataFingerprint + ")");
      }
      logits[r.cacheStep] = r.logits[r.cacheStep].clone();
      routerSteps[r.cacheStep] = ((long[]) r.training.get("routerSteps"))[r.cacheStep];
      lossPerStep.put(Integer.toString(r.cacheStep), r.training.get("loss"));
    }
    Map<String, Object> training = new LinkedHashMap<>(first.training);
    training.put("cacheStep", "per-step");
    training.put("cacheSteps", routers.stream().mapToInt(r -> r.cacheStep).toArray());
    training.put("routerSteps", routerSteps);
    training.put("loss", lossPerStep);
    training.put("trainer", "TrainRouter: each cache step's router trained alone on the canonically ordered set");
    String modelFingerprint = (String) first.training.get("modelFingerprint");
    double theta = spec.theta() != null ? spec.theta() : ModelFamily.DIT.defaultTheta();
    RouterArtifact.Provenance provenance =
        new RouterArtifact.Provenance(spec.dataSource(), null, null, "l2c TrainRouter", training);
    return new RouterArtifact(
        modelFingerprint, new RouterScores(ModelFamily.DIT, logits), ModelFamily.DIT.sampler(), theta, provenance);
  }
}
