package org.l2cbeam.beam;

import static org.l2cbeam.beam.ArgumentChecks.checkArgument;

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
import org.apache.beam.sdk.coders.KvCoder;
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
import org.l2cbeam.core.model.DiffusionTransformer;
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
import org.l2cbeam.core.router.train.UViTRouterObjective;
import org.l2cbeam.core.runtime.ComputeDevice;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Learns an L2C router for a DiT (DDIM) or a U-ViT (DPM-Solver++(2S)) from class-labelled examples:
 * {@code PCollection<TrainingExample>} → {@code PCollection<RouterArtifact>} (one element), the
 * transform a Beam user composes between {@link LoadModel} and {@link CachedSample}. The model's
 * family decides the objective and which router rows are trained; the settings are the same for
 * both.
 *
 * <pre>{@code
 * PCollectionView<ModelRef> model = p.apply(LoadModel.from("builtin:fmnist-dit")).apply(View.asSingleton());
 * PCollection<RouterArtifact> router =                    // 40 iterations x 10 cache steps: minutes on a CPU
 *     examples.apply(TrainRouter.using(model).withSteps(20).withIterations(40)
 *         .withLearningRate(5e-2).withBatchSize(16).withSeed(0));
 * }</pre>
 *
 * <h2>The two families</h2>
 *
 * A DiT router is trained for DDIM: its cache steps are the even spaced indices 0..N−2, its loss is
 * the mean squared distance to the full model's output, and its logits are clamped as the original
 * clamps them. A U-ViT router is trained for DPM-Solver-2 at NFE = {@link #withSteps}: its cache
 * steps are the outer steps 1..NFE/2−1, its loss sums the squared distance over every latent value
 * (hence its much larger default λ, 0.1), its logits are not clamped, and teacher and student see
 * the cache step's time rounded to an integer, as the original trains. The examples are model
 * inputs: images for a pixel-space model, VAE latents (× 0.18215) for a latent one.
 *
 * <h2>How it runs</h2>
 *
 * It fans out per cache step: one element per trained router row k (the family's cache steps, or
 * {@link #withCacheSteps}), spread over workers, and each trains router k alone with core router
 * training ({@code RouterTraining.train} with settings for cache step k) for {@link
 * #withIterations} iterations on the whole example set. The per-step routers are then merged into
 * one {@link RouterArtifact} whose provenance records the settings, the per-router Adam step
 * counts, a loss-curve summary per cache step and the model and data fingerprints.
 *
 * <p><b>Why per-step training is the same problem.</b> Router k is read only at cache step k. The
 * cache it mixes with is recorded by the full evaluation just before it, which computes every unit
 * and so uses no router, and that evaluation's input is the clean input noised to its time (plus,
 * for U-ViT, a no-grad solver step), which uses no router either. The loss at cache step k
 * therefore depends on {@code p_k} and the frozen model alone: its gradient is zero for every other
 * router, AdamW keeps moments and step counts per router, and with {@code
 * zero_grad(set_to_none=True)} (PyTorch ≥ 2, the authors' runs) an unused router does not move.
 * Training each router on its own key, on its own worker, is thus the original's optimisation with
 * the interleaving of the k draws removed (the core's {@code RouterTrainer} documents and tests the
 * same argument).
 *
 * <h2>Determinism</h2>
 *
 * The examples arrive in no particular order, so each trainer first sorts them by content ({@link
 * CanonicalTrainingSet}); every random draw then comes from (seed, iteration) streams. The artifact
 * is a function of the example set, the model and the settings alone: bit-identical for any runner,
 * parallelism or bundling, and its JSON carries no wall-clock time, so a re-run writes the same
 * bytes.
 *
 * <h2>Cost</h2>
 *
 * {@link #withIterations} counts per cache step, and every cache step is trained: N/2 of them at
 * DDIM-N, NFE/2−1 at a U-ViT's NFE. So {@code withIterations(500)} at DDIM-20 is 5 000 training
 * iterations (each three DiT forwards and one backward on a batch), hours on a CPU for the bundled
 * model. A quick try: {@code withIterations(2)}, or {@link #withCacheSteps}.
 *
 * <h2>Warm start</h2>
 *
 * {@link #withInitialRouter} starts every trained router from an earlier router's logits instead of
 * the seed's random draws, so a scheduled retraining continues from the router in use rather than
 * from scratch:
 *
 * <pre>{@code
 * examples.apply(TrainRouter.using(model).withSteps(20).withIterations(40)
 *     .withInitialRouter("registry+gs://my-bucket/l2c/routers"));   // the latest router for this model and steps
 * }</pre>
 *
 * Only the logits carry over (the optimiser starts afresh), and every row of the start router that
 * is not trained ({@link #withCacheSteps}) is kept as it was. The start router must be for the same
 * weights, sampler and step count; another one fails naming both. The trained router's provenance
 * records it ({@code training.warmStart}: where it came from, its registry version, its sha256),
 * and the registry's manifest repeats it. A registry with nothing published for the model yet gives
 * a cold start, byte for byte the router trained without a warm start.
 *
 * <h2>Resume</h2>
 *
 * Each cache step checkpoints to {@link #withTempLocation} (else the pipeline's local {@code
 * --tempLocation}, else {@code java.io.tmpdir/l2c-USER}, one per user and owner-only) every {@link
 * #withCheckpointEvery} iterations and at the end, under a directory named by a hash of the model,
 * the data, the settings and the warm start's logits. A retried bundle, or a later run of the same
 * training with as many or more iterations (a notebook's re-run, the same pipeline run again),
 * resumes from there instead of training again, and ends bit-identical to an uninterrupted run.
 * Point {@link #withTempLocation} at an empty directory to train from scratch.
 *
 * <h2>One model and one gradient collector per JVM</h2>
 *
 * The model is loaded once per worker JVM ({@link SharedModels}) and shared by every trainer
 * thread; DJL allows one gradient collector per JVM, and one libtorch call already uses every core,
 * so the cache steps given to one JVM train one after another ({@link ModelCallGate}, shared with
 * {@link CachedSample} and {@link ComputeFID}, so that the timings of a benchmark pipeline are
 * never taken while a trainer competes for the cores); other workers train other cache steps at the
 * same time.
 *
 * <h2>Metrics</h2>
 *
 * Namespace {@code org.l2cbeam.beam.TrainRouter}, per cache step k: counter {@code
 * cacheStepK.iterations} (iterations run by this attempt; a resumed run counts only the new ones),
 * gauges {@code cacheStepK.lossE9} (mean loss of the last reporting window × 1e9; Beam metrics are
 * integers) and {@code cacheStepK.itPerSecE3} (iterations per second × 1000); over all steps
 * counter {@code iterations} and distribution {@code cacheStepMillis}.
 *
 * <p>Bad settings are rejected by the {@code with*} setters or at expand time, naming the option.
 * What depends on the model (a cache step of the other family, data shapes or labels that do not
 * fit it, an empty input, fewer examples than a batch) can only be seen once the model and the
 * examples are read, and fails the pipeline with a message naming {@code TrainRouter} and the
 * problem.
 */
@AutoValue
public abstract class TrainRouter
    extends PTransform<PCollection<TrainingExample>, PCollection<RouterArtifact>> {
  private static final long serialVersionUID = 1L;
  static final int DEFAULT_SAMPLING_STEPS = 20;
  static final int DEFAULT_BATCH = 8;
  static final long DEFAULT_CHECKPOINT_EVERY = 100;

  /** Iterations between metric updates. */
  private static final long REPORT_EVERY = 10;

  abstract PCollectionView<ModelRef> model();

  abstract int samplingSteps();

  abstract @Nullable Long iterations();

  /**
   * Null: the authors' README value for the step count ({@link
   * TrainingSettings#defaultLambda(int)}).
   */
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

  /**
   * The model's family when known at construction (checks family-specific settings early), else
   * null.
   */
  abstract @Nullable ModelFamily family();

  abstract @Nullable ComputeDevice device();

  /**
   * The warm start as a router file or a {@code registry+} location; null: none, or {@link
   * #initialRouterView}.
   */
  abstract @Nullable String initialRouterLocation();

  /** The warm start as a side input; null: none, or {@link #initialRouterLocation}. */
  abstract @Nullable PCollectionView<RouterArtifact> initialRouterView();

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

    abstract Builder setFamily(@Nullable ModelFamily family);

    abstract Builder setDevice(@Nullable ComputeDevice device);

    abstract Builder setInitialRouterLocation(@Nullable String location);

    abstract Builder setInitialRouterView(@Nullable PCollectionView<RouterArtifact> view);

    abstract TrainRouter build();
  }

  /**
   * Trains routers for the model of {@code model} (from {@link LoadModel}, as a singleton side
   * input).
   */
  public static TrainRouter using(PCollectionView<ModelRef> model) {
    checkArgument(model != null, "TrainRouter.using: the model side input is null (use LoadModel)");
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
   * Training steps (iterations) for each cache step's router; required. The whole training is this
   * times the number of cache steps (10 at DDIM-20): {@code withIterations(500)} is 5 000
   * iterations, hours on a CPU.
   */
  public TrainRouter withIterations(long iterations) {
    checkArgument(
        iterations >= 1,
        "TrainRouter.withIterations: training steps per cache step must be >= 1, got %s",
        iterations);
    return toBuilder().setIterations(iterations).build();
  }

  /**
   * The steps of the sampler the router is for (default 20): DDIM steps N for a DiT, network
   * evaluations (NFE) for a U-ViT. Even, so that evaluations pair into full and cache steps.
   */
  public TrainRouter withSteps(int steps) {
    checkArgument(
        steps >= 2 && steps % 2 == 0,
        "TrainRouter.withSteps: sampling steps must be even and >= 2 (DiT pairs full step 2j+1 with cache"
            + " step 2j; U-ViT's DPM-Solver-2 evaluates twice per outer step), got %s",
        steps);
    return toBuilder().setSamplingSteps(steps).build();
  }

  /**
   * λ, the weight of the L1 term Σ sigmoid(p). Default, the authors' values: DiT 5e-6 for 20
   * sampling steps, 1e-6 for 50 (and 10); U-ViT 0.1.
   */
  public TrainRouter withLambda(double lambda) {
    checkArgument(
        lambda >= 0 && Double.isFinite(lambda),
        "TrainRouter.withLambda: λ must be finite and >= 0, got %s",
        lambda);
    return toBuilder().setLambda(lambda).build();
  }

  /** AdamW learning rate (default 1e-3; constant, betas 0.9/0.999, eps 1e-8, no weight decay). */
  public TrainRouter withLearningRate(double lr) {
    checkArgument(
        lr > 0 && Double.isFinite(lr),
        "TrainRouter.withLearningRate: lr must be positive and finite, got %s",
        lr);
    return toBuilder().setLearningRate(lr).build();
  }

  /** Examples per iteration (default 8). */
  public TrainRouter withBatchSize(int batchSize) {
    checkArgument(
        batchSize >= 1, "TrainRouter.withBatchSize: batch must be >= 1, got %s", batchSize);
    return toBuilder().setBatch(batchSize).build();
  }

  /**
   * The seed of every random draw: initial routers, example order, noise, label dropout (default
   * 0).
   */
  public TrainRouter withSeed(long seed) {
    return toBuilder().setSeed(seed).build();
  }

  /**
   * The local directory for resumable training checkpoints (default: the pipeline's local {@code
   * --tempLocation}, else {@code java.io.tmpdir/l2c-USER}). A run whose model, data and settings
   * match a checkpoint there resumes it.
   */
  public TrainRouter withTempLocation(String directory) {
    TrainingCheckpoints.checkLocal("TrainRouter.withTempLocation (checkpoint dir)", directory);
    return toBuilder().setTempLocation(directory).build();
  }

  /** Iterations between checkpoints (default 100; a checkpoint is also written at the end). */
  public TrainRouter withCheckpointEvery(long iterations) {
    checkArgument(
        iterations >= 1,
        "TrainRouter.withCheckpointEvery: checkpoint interval must be >= 1 iteration, got %s",
        iterations);
    return toBuilder().setCheckpointEvery(iterations).build();
  }

  /**
   * Trains only these cache steps' routers (DiT: even indices below the sampling steps; U-ViT:
   * outer steps 1..NFE/2−1), e.g. to split the work over several jobs; the others keep their seeded
   * initial values. Default: all.
   */
  public TrainRouter withCacheSteps(int... cacheSteps) {
    checkArgument(
        cacheSteps != null && cacheSteps.length > 0,
        "TrainRouter.withCacheSteps: give at least one cache step");
    int[] sorted = cacheSteps.clone();
    Arrays.sort(sorted);
    for (int i = 1; i < sorted.length; i++) {
      checkArgument(
          sorted[i] != sorted[i - 1],
          "TrainRouter.withCacheSteps: cache step %s given twice",
          sorted[i]);
    }
    return toBuilder().setCacheSteps(sorted).build();
  }

  /**
   * The threshold θ in (0, 1) stored in the artifact (default: the family's, DiT 0.1, U-ViT 0.9);
   * CachedSample may override it.
   */
  public TrainRouter withTheta(double theta) {
    checkArgument(
        theta > 0 && theta < 1, "TrainRouter.withTheta: theta must be in (0, 1), got %s", theta);
    return toBuilder().setTheta(theta).build();
  }

  /**
   * Where the workers run the model the routers are trained through: {@code
   * ComputeDevice.parse("gpu", ...)}, {@link ComputeDevice#CPU}, or {@link ComputeDevice#AUTO} (the
   * first GPU a worker's engine sees, else its CPU). Unset, each worker JVM's default ({@code
   * -Dl2c.device}, itself {@code auto} unless set). A worker asked for a GPU it does not see fails
   * with one line naming the device and the engine build. On a GPU the model runs the plain kernels
   * (the oneDNN ones are CPU-only), one copy per device and worker JVM.
   */
  public TrainRouter withDevice(ComputeDevice device) {
    checkArgument(device != null, "TrainRouter.withDevice: device must not be null");
    return toBuilder().setDevice(device).build();
  }

  /**
   * The family of the model, when the pipeline author knows it: settings that depend on it ({@link
   * #withCacheSteps}) are then checked when the pipeline is built rather than when it runs, and a
   * model of the other family fails naming both. Default: the model's, whatever it is.
   */
  public TrainRouter withFamily(ModelFamily family) {
    checkArgument(family != null, "TrainRouter.withFamily: the family must not be null");
    return toBuilder().setFamily(family).build();
  }

  /**
   * Warm start from a router: a router JSON file (local or remote), {@code registry+LOCATION} (the
   * latest router a {@link org.l2cbeam.registry.RouterRegistry} publishes for this model, sampler
   * and step count, resolved when the pipeline runs; none published yet: a cold start) or {@code
   * registry+LOCATION#vN} (that version, which must exist). Every trained router starts from its
   * logits instead of the seed's; see "Warm start" above. A file is read when the pipeline is
   * built.
   */
  public TrainRouter withInitialRouter(String location) {
    checkArgument(
        location != null && !location.isBlank(),
        "TrainRouter.withInitialRouter: the router location is empty");
    if (ResolveRouter.isRegistryLocation(location)) {
      ResolveRouter.fromLocation(WarmStart.OPTION, location, model()); // checks the form now
    }
    return toBuilder().setInitialRouterLocation(location).setInitialRouterView(null).build();
  }

  /**
   * Warm start from the router of a singleton side input (for example {@link ResolveRouter}'s); see
   * above.
   */
  public TrainRouter withInitialRouter(PCollectionView<RouterArtifact> router) {
    checkArgument(router != null, "TrainRouter.withInitialRouter: the router side input is null");
    return toBuilder().setInitialRouterView(router).setInitialRouterLocation(null).build();
  }

  /**
   * A description of the data recorded in the artifact's provenance (e.g. the directory it was read
   * from).
   */
  public TrainRouter withDataSource(String source) {
    checkArgument(
        source != null && !source.isBlank(),
        "TrainRouter.withDataSource: the description is empty");
    return toBuilder().setDataSource(source).build();
  }

  /**
   * The settings of cache step {@code k}'s run for a model of {@code family}; also validates the
   * combination, naming the option.
   */
  TrainingSettings settingsFor(ModelFamily family, int cacheStep) {
    double l =
        lambda() != null ? lambda() : TrainingSettings.defaultLambda(family, samplingSteps());
    return new TrainingSettings(
        family,
        samplingSteps(),
        l,
        AdamWConfig.l2c(learningRate()),
        batch(),
        seed(),
        cacheStep,
        AdamW.ZeroGrad.SET_TO_NONE);
  }

  /**
   * The cache steps this transform trains for a model of {@code family}, in order; a requested step
   * that is no cache step of the family fails naming {@link #withCacheSteps} and the family's rule.
   */
  int[] trainedCacheSteps(ModelFamily family) {
    int[] all = settingsFor(family, TrainingSettings.RANDOM_CACHE_STEP).cacheStepRows();
    if (cacheSteps() == null) return all;
    for (int k : cacheSteps()) {
      checkArgument(
          Arrays.stream(all).anyMatch(r -> r == k),
          "TrainRouter.withCacheSteps: %s is not a cache step of %s sampling steps (withSteps) for a %s;"
              + " the cache steps are %s",
          k,
          samplingSteps(),
          family.id(),
          cacheStepRule(family));
    }
    return cacheSteps().clone();
  }

  private String cacheStepRule(ModelFamily family) {
    return family == ModelFamily.DIT
        ? "the even indices 0.." + (samplingSteps() - 2)
        : "the outer steps 1.." + (samplingSteps() / 2 - 1);
  }

  /**
   * Before the model is read: fails for a requested cache step that belongs to neither family at
   * these steps (the step valid for the model's family is checked once the model is known).
   */
  private void checkCacheStepsOfSomeFamily() {
    if (cacheSteps() == null) return;
    for (int k : cacheSteps()) {
      boolean dit = k >= 0 && k % 2 == 0 && k <= samplingSteps() - 2;
      boolean uvit = k >= 1 && k <= samplingSteps() / 2 - 1;
      checkArgument(
          dit || uvit,
          "TrainRouter.withCacheSteps: %s is not a cache step of %s sampling steps (withSteps); the cache"
              + " steps are %s for a DiT, %s for a U-ViT",
          k,
          samplingSteps(),
          cacheStepRule(ModelFamily.DIT),
          cacheStepRule(ModelFamily.UVIT));
    }
  }

  @Override
  public PCollection<RouterArtifact> expand(PCollection<TrainingExample> examples) {
    checkArgument(
        iterations() != null,
        "TrainRouter.withIterations: the number of training steps per cache step is not set");
    if (family() != null) {
      trainedCacheSteps(family());
    } else {
      checkCacheStepsOfSomeFamily();
    }
    settingsFor(
        ModelFamily.DIT,
        TrainingSettings.RANDOM_CACHE_STEP); // λ, lr and batch are checked alike for both
    PCollectionView<Iterable<TrainingExample>> data =
        examples.apply("ExamplesView", View.asIterable());
    @Nullable PCollectionView<Iterable<RouterArtifact>> start =
        initialRouterLocation() == null && initialRouterView() == null
            ? null
            : WarmStart.sideInput(examples.getPipeline(), this);
    List<PCollectionView<?>> trainerInputs = new ArrayList<>(List.of(model(), data));
    if (start != null) trainerInputs.add(start);
    PCollection<CacheStepRouter> perStep =
        examples
            .getPipeline()
            .apply("Start", Create.of(0).withCoder(VarIntCoder.of()))
            // The cache steps depend on the model's family, known once the model is read.
            .apply("CacheSteps", ParDo.of(new CacheStepsFn(this)).withSideInputs(model()))
            .setCoder(VarIntCoder.of())
            // One element per router: spread them so that each worker trains its own cache steps.
            .apply("SpreadCacheSteps", Reshuffle.viaRandomKey())
            .apply(
                "TrainPerCacheStep",
                ParDo.of(new TrainCacheStepFn(this, data, start)).withSideInputs(trainerInputs))
            .setCoder(CacheStepRouterCoder.of());
    return perStep
        .apply(
            "OneRouter",
            WithKeys.<String, CacheStepRouter>of("router").withKeyType(TypeDescriptors.strings()))
        .setCoder(KvCoder.of(StringUtf8Coder.of(), CacheStepRouterCoder.of()))
        .apply("GatherCacheSteps", GroupByKey.create())
        .apply("MergeRouters", ParDo.of(new MergeFn(this)).withSideInputs(model()))
        .setCoder(RouterArtifactCoder.of());
  }

  /** The family of {@code model}, which must be {@link #withFamily}'s if that was given. */
  ModelFamily familyOf(ModelRef model) {
    checkArgument(
        family() == null || family() == model.family(),
        "TrainRouter.withFamily(%s): model %s is a %s model",
        family() == null ? "" : family().id(),
        model.uri(),
        model.family().id());
    return model.family();
  }

  /** The cache steps to train, one element each, for the family of the model side input. */
  static final class CacheStepsFn extends DoFn<Integer, Integer> {
    private final TrainRouter spec;

    CacheStepsFn(TrainRouter spec) {
      this.spec = spec;
    }

    @ProcessElement
    public void process(ProcessContext c) {
      for (int k : spec.trainedCacheSteps(spec.familyOf(c.sideInput(spec.model())))) c.output(k);
    }
  }

  @Override
  public void populateDisplayData(DisplayData.Builder builder) {
    super.populateDisplayData(builder);
    builder
        .add(
            DisplayData.item("samplingSteps", samplingSteps())
                .withLabel("Sampling steps (DiT: DDIM steps, U-ViT: NFE)"))
        .addIfNotNull(
            DisplayData.item("iterations", iterations()).withLabel("Training steps per cache step"))
        .add(
            DisplayData.item(
                    "lambda", lambda() != null ? lambda().toString() : "the family's default")
                .withLabel("λ (L1 weight)"))
        .add(DisplayData.item("learningRate", learningRate()).withLabel("AdamW learning rate"))
        .add(DisplayData.item("batch", batch()).withLabel("Examples per iteration"))
        .add(DisplayData.item("seed", seed()).withLabel("Seed"))
        .add(
            DisplayData.item("checkpointEvery", checkpointEvery())
                .withLabel("Iterations between checkpoints"))
        .addIfNotNull(
            DisplayData.item("tempLocation", tempLocation()).withLabel("Checkpoint directory"))
        .addIfNotNull(
            DisplayData.item("device", device() == null ? null : device().toString())
                .withLabel("Device"))
        .addIfNotNull(
            DisplayData.item(
                    "cacheSteps", cacheSteps() == null ? null : Arrays.toString(cacheSteps()))
                .withLabel("Cache steps trained"))
        .addIfNotNull(
            DisplayData.item("theta", theta()).withLabel("Threshold θ stored in the artifact"))
        .addIfNotNull(
            DisplayData.item("family", family() == null ? null : family().id())
                .withLabel("Model family"))
        .addIfNotNull(
            DisplayData.item(
                    "initialRouter",
                    initialRouterView() != null ? "(side input)" : initialRouterLocation())
                .withLabel("Warm start from"))
        .add(DisplayData.item("dataSource", dataSource()).withLabel("Training data"));
  }

  /**
   * Trains the router of one cache step (the element) on the whole example set, resuming from its
   * checkpoint.
   */
  static final class TrainCacheStepFn extends DoFn<Integer, CacheStepRouter> {
    private static final Logger LOG = LoggerFactory.getLogger(TrainRouter.class);
    private final Counter iterationsRun = Metrics.counter(TrainRouter.class, "iterations");
    private final Distribution cacheStepMillis =
        Metrics.distribution(TrainRouter.class, "cacheStepMillis");

    private final TrainRouter spec;
    private final PCollectionView<Iterable<TrainingExample>> data;
    private final @Nullable PCollectionView<Iterable<RouterArtifact>> initialRouter;
    private final TrainingCheckpoints checkpoints;

    TrainCacheStepFn(
        TrainRouter spec,
        PCollectionView<Iterable<TrainingExample>> data,
        @Nullable PCollectionView<Iterable<RouterArtifact>> initialRouter) {
      this.spec = spec;
      this.data = data;
      this.initialRouter = initialRouter;
      this.checkpoints = new TrainingCheckpoints(spec.tempLocation());
    }

    @ProcessElement
    public void process(ProcessContext c) {
      int k = c.element();
      long start = System.nanoTime();
      ModelRef ref = c.sideInput(spec.model());
      ModelFamily family = spec.familyOf(ref);
      InMemoryExamples set =
          CanonicalTrainingSet.of(
              c.sideInput(data), "TrainRouter input (" + spec.dataSource() + ")");
      checkFits(set, ref);
      TrainingSettings settings = spec.settingsFor(family, k);
      RouterArtifact initial =
          initialRouter == null ? null : WarmStart.only(c.sideInput(initialRouter));
      if (initial != null) WarmStart.checkFits(initial, ref, family, spec.samplingSteps());
      Path checkpoint =
          checkpoints.file(
              c.getPipelineOptions().getTempLocation(),
              ref.fingerprint(),
              set.fingerprint(),
              spec.settingsFor(family, TrainingSettings.RANDOM_CACHE_STEP),
              initial == null ? null : WarmStart.startPoint(initial),
              k);
      boolean resume = prepareCheckpoint(checkpoint, spec.iterations());

      DiffusionTransformer model =
          SharedModels.model(ref, ComputeDevice.resolveOrDefault(spec.device()));
      // U-ViT: the cache step's time rounded to an integer for teacher and student, as the original
      // trains.
      RouterTraining cold =
          RouterTraining.of(
              model, ref.fingerprint(), settings, UViTRouterObjective.TimeInput.INTEGER);
      RouterTraining training;
      try {
        training = initial == null ? cold : cold.startingFrom(initial.scores().logits());
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException(
            WarmStart.OPTION + ": " + e.getMessage() + " (model " + ref.uri() + ")", e);
      }
      String prefix = "cacheStep" + k + ".";
      Counter stepIterations = Metrics.counter(TrainRouter.class, prefix + "iterations");
      org.apache.beam.sdk.metrics.Gauge loss = Metrics.gauge(TrainRouter.class, prefix + "lossE9");
      org.apache.beam.sdk.metrics.Gauge speed =
          Metrics.gauge(TrainRouter.class, prefix + "itPerSecE3");
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
      LOG.info(
          "TrainRouter: training cache step {}: iterations {}..{} of {} on {} examples from {} (checkpoint {})",
          k,
          before + 1,
          spec.iterations(),
          spec.iterations(),
          set.size(),
          initial == null
              ? "the seed's routers"
              : "router " + WarmStart.provenance(initial).get("router"),
          checkpoint);
      RouterTrainingState state =
          ModelCallGate.run(
              1,
              () ->
                  training.train(
                      set,
                      spec.iterations(),
                      checkpoint,
                      spec.checkpointEvery(),
                      resume,
                      progress,
                      REPORT_EVERY));
      Map<String, Object> provenance = training.provenance(state, set.fingerprint());
      if (initial != null) provenance.put(WarmStart.PROVENANCE_KEY, WarmStart.provenance(initial));
      c.output(new CacheStepRouter(k, state.logits(), provenance, set.fingerprint()));
      cacheStepMillis.update((System.nanoTime() - start) / 1_000_000);
      LOG.info(
          "TrainRouter: cache step {} trained to iteration {} in {} s",
          k,
          state.iteration(),
          Logs.seconds(start));
    }

    private void checkFits(InMemoryExamples set, ModelRef ref) {
      try {
        set.checkFitsModel(ref.inChannels(), ref.inputSize(), ref.inputSize(), ref.numClasses());
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException(
            "TrainRouter: " + e.getMessage() + " (model " + ref.uri() + ")", e);
      }
      if (set.size() < spec.batch()) {
        throw new IllegalArgumentException(
            "TrainRouter.withBatch: batch "
                + spec.batch()
                + " is larger than the "
                + set.size()
                + " training examples in the input");
      }
    }

    /**
     * True if {@code checkpoint} holds this run's progress to continue from. A checkpoint beyond
     * the requested length (a longer earlier run of the same problem) cannot be rewound, so it is
     * replaced by a fresh run.
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
            "TrainRouter.withTempLocation (checkpoint dir): cannot use "
                + checkpoint
                + ": "
                + e.getMessage(),
            e);
      }
    }
  }

  /** Assembles the per-step routers into one artifact with the training provenance. */
  static final class MergeFn extends DoFn<KV<String, Iterable<CacheStepRouter>>, RouterArtifact> {
    private final TrainRouter spec;

    MergeFn(TrainRouter spec) {
      this.spec = spec;
    }

    @ProcessElement
    public void process(ProcessContext c) {
      ModelFamily family = spec.familyOf(c.sideInput(spec.model()));
      int[] expectedSteps = spec.trainedCacheSteps(family);
      TreeMap<Integer, CacheStepRouter> byStep = new TreeMap<>();
      for (CacheStepRouter r : c.element().getValue()) byStep.put(r.cacheStep, r);
      int[] got = byStep.keySet().stream().mapToInt(Integer::intValue).toArray();
      if (!Arrays.equals(got, expectedSteps)) {
        throw new IllegalStateException(
            "TrainRouter: expected routers for cache steps "
                + Arrays.toString(expectedSteps)
                + ", got "
                + Arrays.toString(got));
      }
      c.output(merge(spec, family, new ArrayList<>(byStep.values())));
      LoggerFactory.getLogger(TrainRouter.class)
          .info("TrainRouter: merged the routers of cache steps {}", byStep.keySet());
    }
  }

  /**
   * The artifact of per-step routers sorted by cache step: row k from step k's run, every other row
   * from the first run (untrained rows are the seed's initial routers, identical in every run). No
   * creation time is recorded, so the JSON depends on the inputs and settings only.
   */
  /**
   * Entry {@code k} of the per-router Adam step counts, as core wrote them or as their JSON reads
   * back.
   */
  private static long adamSteps(Object counts, int k) {
    return counts instanceof long[]
        ? ((long[]) counts)[k]
        : ((Number) ((List<?>) counts).get(k)).longValue();
  }

  static RouterArtifact merge(TrainRouter spec, ModelFamily family, List<CacheStepRouter> routers) {
    CacheStepRouter first = routers.get(0);
    float[][] logits = new float[first.logits.length][];
    for (int r = 0; r < logits.length; r++) logits[r] = first.logits[r].clone();
    long[] routerSteps = new long[logits.length];
    Map<String, Object> lossPerStep = new LinkedHashMap<>();
    for (CacheStepRouter r : routers) {
      if (!r.dataFingerprint.equals(first.dataFingerprint)) {
        throw new IllegalStateException(
            "TrainRouter: cache steps "
                + first.cacheStep
                + " and "
                + r.cacheStep
                + " saw different data ("
                + first.dataFingerprint
                + " vs "
                + r.dataFingerprint
                + ")");
      }
      logits[r.cacheStep] = r.logits[r.cacheStep].clone();
      routerSteps[r.cacheStep] = adamSteps(r.training.get("routerSteps"), r.cacheStep);
      lossPerStep.put(Integer.toString(r.cacheStep), r.training.get("loss"));
    }
    Map<String, Object> training = new LinkedHashMap<>(first.training);
    training.put("cacheStep", "per-step");
    training.put("cacheSteps", routers.stream().mapToInt(r -> r.cacheStep).toArray());
    training.put("routerSteps", routerSteps);
    training.put("loss", lossPerStep);
    training.put(
        "trainer",
        "TrainRouter: each cache step's router trained alone on the canonically ordered set");
    String modelFingerprint = (String) first.training.get("modelFingerprint");
    double theta = spec.theta() != null ? spec.theta() : family.defaultTheta();
    RouterArtifact.Provenance provenance =
        new RouterArtifact.Provenance(spec.dataSource(), null, null, "l2c TrainRouter", training);
    return new RouterArtifact(
        modelFingerprint, new RouterScores(family, logits), family.sampler(), theta, provenance);
  }
}
