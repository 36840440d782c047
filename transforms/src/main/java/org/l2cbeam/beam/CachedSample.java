package org.l2cbeam.beam;

import static org.l2cbeam.beam.ArgumentChecks.checkArgument;
import static org.l2cbeam.beam.ArgumentChecks.checkNotNull;

import com.google.auto.value.AutoValue;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.coders.VarLongCoder;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.metrics.Distribution;
import org.apache.beam.sdk.metrics.Metrics;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.GroupIntoBatches;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.View;
import org.apache.beam.sdk.transforms.WithKeys;
import org.apache.beam.sdk.transforms.display.DisplayData;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionView;
import org.apache.beam.sdk.values.TypeDescriptors;
import org.checkerframework.checker.nullness.qual.Nullable;
import org.l2cbeam.core.diffusion.Guidance;
import org.l2cbeam.core.diffusion.SamplerKind;
import org.l2cbeam.core.model.DiffusionTransformer;
import org.l2cbeam.core.model.Kernels;
import org.l2cbeam.core.model.ModelExecution;
import org.l2cbeam.core.model.Precision;
import org.l2cbeam.core.router.CacheSchedule;
import org.l2cbeam.core.router.ModelFamily;
import org.l2cbeam.core.router.RouterArtifact;
import org.l2cbeam.core.router.ThetaSearch;
import org.l2cbeam.core.runtime.ComputeDevice;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Generates one image per {@link SampleRequest} with a DiT or a U-ViT, optionally with a learned
 * L2C cache schedule: the transform a Beam user composes after {@link LoadModel} (and {@link
 * TrainRouter}).
 *
 * <pre>{@code
 * PCollection<GeneratedSample> images =
 *     requests.apply(CachedSample.using(model).withSteps(20).withCfgScale(1.5)
 *         .withRouter("router.json").withTheta(0.1).withBatchSize(16));
 * }</pre>
 *
 * <ul>
 *   <li>Without a router it is the plain sampler, the baseline.
 *   <li>The sampler follows the model's family unless {@link #withSampler} names one: DDIM for a
 *       DiT, DPM-Solver++(2S) for a U-ViT (whose step count is the number of network evaluations,
 *       even). Guidance follows the family too: a DiT guides a doubled batch in one call with one
 *       layer cache, a U-ViT calls the network twice with a cache per call and one plan for both.
 *   <li>Requests are grouped into batches by id ({@link #withBatchSize}); each sample's noise comes
 *       from its own seed, and the model always runs on fixed-size chunks, so a request gives the
 *       same bytes whatever its batch, bundle, worker or runner.
 *   <li>The model is loaded once per worker JVM and shared by all threads ({@link SharedModels});
 *       grad mode is off.
 *   <li>Files named by location (a router, a VAE) are read when the pipeline is built, so a bad
 *       file fails before any worker starts; {@link #withoutValidation()} leaves them to the
 *       workers (e.g. when the launcher cannot read the bucket). What only the model can tell (its
 *       family, units and classes) is checked on the workers, with a message naming both the model
 *       and the setting at fault.
 *   <li>Metrics ({@code org.l2cbeam.beam.CachedSample}): {@code images}, {@code samplingMicros}
 *       (images/s = images / samplingMicros × 1e6), {@code unitsComputed} and {@code unitsReused}
 *       (cache-unit evaluations), {@code batchMillis}.
 * </ul>
 */
@AutoValue
public abstract class CachedSample
    extends PTransform<PCollection<SampleRequest>, PCollection<GeneratedSample>> {
  private static final long serialVersionUID = 1L;
  static final int DEFAULT_BATCH_SIZE = 8;

  abstract PCollectionView<ModelRef> model();

  abstract SamplingSettings settings();

  abstract int batchSize();

  abstract int modelCallsPerWorker();

  abstract int forwardBatch();

  abstract @Nullable VaeRef vae();

  /**
   * Fraction of the run's MACs to remove, θ chosen from the router at run time; null: use {@link
   * #theta()}.
   */
  abstract @Nullable Double macsRemoved();

  abstract @Nullable PCollectionView<RouterArtifact> routerView();

  /**
   * A router given by location; read when the pipeline is built (or by the workers without
   * validation).
   */
  abstract @Nullable String routerLocation();

  abstract @Nullable Double theta();

  abstract @Nullable Kernels kernels();

  abstract @Nullable Precision precision();

  abstract boolean validate();

  /**
   * The model's family when known at construction (checks family-specific settings early), else
   * null.
   */
  abstract @Nullable ModelFamily family();

  abstract @Nullable ComputeDevice device();

  abstract Builder toBuilder();

  @AutoValue.Builder
  abstract static class Builder {
    abstract Builder setModel(PCollectionView<ModelRef> model);

    abstract Builder setSettings(SamplingSettings settings);

    abstract Builder setBatchSize(int batchSize);

    abstract Builder setModelCallsPerWorker(int calls);

    abstract Builder setForwardBatch(int forwardBatch);

    abstract Builder setMacsRemoved(@Nullable Double fraction);

    abstract Builder setVae(@Nullable VaeRef vae);

    abstract Builder setRouterView(@Nullable PCollectionView<RouterArtifact> router);

    abstract Builder setRouterLocation(@Nullable String location);

    abstract Builder setTheta(@Nullable Double theta);

    abstract Builder setKernels(@Nullable Kernels kernels);

    abstract Builder setPrecision(@Nullable Precision precision);

    abstract Builder setValidate(boolean validate);

    abstract Builder setFamily(@Nullable ModelFamily family);

    abstract Builder setDevice(@Nullable ComputeDevice device);

    abstract CachedSample build();
  }

  /**
   * Samples with the model of {@code model} (from {@link LoadModel}, as a singleton side input).
   */
  public static CachedSample using(PCollectionView<ModelRef> model) {
    checkNotNull(model, "CachedSample.using: the model side input is null (use LoadModel)");
    return new AutoValue_CachedSample.Builder()
        .setModel(model)
        .setSettings(SamplingSettings.of((SamplerKind) null, 20, 1.0, null))
        .setBatchSize(DEFAULT_BATCH_SIZE)
        .setModelCallsPerWorker(1)
        .setForwardBatch(BatchSampler.FORWARD_BATCH)
        .setValidate(true)
        .build();
  }

  /**
   * Sampling steps (default 20): DDIM/DDPM steps for a DiT, network evaluations (NFE, even) for a
   * U-ViT's DPM-Solver. With a router, it must equal the router's step count.
   */
  public CachedSample withSteps(int steps) {
    checkArgument(steps > 0, "CachedSample.withSteps: must be positive, got %s", steps);
    return toBuilder().setSettings(settings().withSteps(steps)).build();
  }

  /**
   * The sampler: {@link SamplerKind#DDIM} (eta = 0, what DiT routers are trained for) or {@link
   * SamplerKind#DDPM} for a DiT, {@link SamplerKind#DPM_SOLVER} for a U-ViT. Default: the model
   * family's (DDIM or DPM-Solver). A sampler of the other family fails on the workers, naming this
   * setter.
   */
  public CachedSample withSampler(SamplerKind sampler) {
    return toBuilder()
        .setSettings(
            settings()
                .withSampler(
                    checkNotNull(sampler, "CachedSample.withSampler: the sampler is null")))
        .build();
  }

  /** Classifier-free guidance scale; 1 (default) is no guidance. */
  public CachedSample withCfgScale(double scale) {
    checkArgument(
        scale >= 1.0 && !Double.isInfinite(scale),
        "CachedSample.withCfgScale: must be finite and >= 1 (1 = none), got %s",
        scale);
    return toBuilder().setSettings(settings().withCfgScale(scale)).build();
  }

  /**
   * DiT only: the guided channels, {@code FIRST_THREE} (DiT's quirk, default for models with 3+
   * channels) or {@code ALL}. U-ViT's guidance always covers every channel: {@code ALL} is accepted
   * for it, {@code FIRST_THREE} fails.
   */
  public CachedSample withGuidedChannels(Guidance.Channels channels) {
    return toBuilder()
        .setSettings(
            settings()
                .withGuidedChannels(
                    checkNotNull(
                        channels, "CachedSample.withGuidedChannels: the channels are null")))
        .build();
  }

  /**
   * Requests per batch (default 8). Requests are grouped by {@code floor(id / batchSize)}, so
   * consecutive ids (as {@code SampleRequests} and the pipelines number them) make full batches
   * however the runner splits bundles. The model itself always runs on fixed chunks of {@link
   * #withForwardBatch} requests, so this never changes the images.
   */
  public CachedSample withBatchSize(int batchSize) {
    checkArgument(batchSize > 0, "CachedSample.withBatchSize: must be positive, got %s", batchSize);
    return toBuilder().setBatchSize(batchSize).build();
  }

  /**
   * Batches sampled at once per worker JVM (default 1): on CPU one batch already uses every core,
   * and more only makes the threads compete ({@link ModelCallGate}); on a GPU raise it while the
   * memory allows.
   */
  public CachedSample withModelCallsPerWorker(int calls) {
    checkArgument(
        calls > 0, "CachedSample.withModelCallsPerWorker: must be positive, got %s", calls);
    return toBuilder().setModelCallsPerWorker(calls).build();
  }

  /**
   * Requests per model call (default {@value BatchSampler#FORWARD_BATCH}; CFG doubles the rows).
   * Every call has exactly this shape (short batches are padded), because libtorch's CPU kernels
   * round differently for different row counts: the images depend on this value, and on nothing
   * else about batching. Larger values amortise per-call overhead on small models.
   */
  public CachedSample withForwardBatch(int forwardBatch) {
    checkArgument(
        forwardBatch > 0, "CachedSample.withForwardBatch: must be positive, got %s", forwardBatch);
    return toBuilder().setForwardBatch(forwardBatch).build();
  }

  /**
   * The router as a singleton side input, e.g. {@link TrainRouter}'s output; checked against the
   * model (family, units, steps, fingerprint) on the workers.
   */
  public CachedSample withRouter(PCollectionView<RouterArtifact> router) {
    checkNotNull(router, "CachedSample.withRouter: the router side input is null");
    return toBuilder().setRouterView(router).setRouterLocation(null).build();
  }

  /**
   * A router artifact (our JSON) or an official router checkpoint of either family (DiT's {@code
   * DDIM20_router.pt}, U-ViT's {@code dpm20_router.pth}). Read when the pipeline is built, so a bad
   * file, a step-count mismatch or a sampler of the other family is reported then (unless {@link
   * #withoutValidation()}). Or {@code registry+LOCATION} ({@code registry+gs://bucket/routers},
   * {@code registry+/srv/routers}, {@code registry+LOCATION#v3} for a fixed version): the router a
   * {@link org.l2cbeam.registry.RouterRegistry} publishes for this model, sampler and step count,
   * resolved once when the pipeline runs ({@link ResolveRouter}); the version used is appended to
   * the samples' schedule id.
   */
  public CachedSample withRouter(String location) {
    checkArgument(
        location != null && !location.isBlank(),
        "CachedSample.withRouter: the router location is empty");
    if (ResolveRouter.isRegistryLocation(location)) {
      ResolveRouter.fromLocation(
          "CachedSample.withRouter", location, model()); // checks the form now
    }
    return toBuilder().setRouterView(null).setRouterLocation(location).build();
  }

  /**
   * The threshold θ in (0, 1): unit u is computed at cache step k iff sigmoid(p_k[u]) > θ. Default:
   * the router's (DiT routers 0.1, U-ViT routers 0.9, as the paper uses them).
   */
  public CachedSample withTheta(double theta) {
    checkArgument(
        theta > 0.0 && theta < 1.0,
        "CachedSample.withTheta: theta must be in (0, 1), got %s",
        theta);
    return toBuilder().setTheta(theta).setMacsRemoved(null).build();
  }

  /**
   * Chooses θ at run time, from the router's scores, as the threshold that removes at least {@code
   * fraction} of the run's MACs (the smallest such removal; ties in β cannot be split). For a
   * router trained in the same pipeline, whose scores are not known when the pipeline is built.
   * Replaces {@link #withTheta}.
   */
  public CachedSample withMacsRemoved(double fraction) {
    checkArgument(
        fraction > 0.0 && fraction < 1.0,
        "CachedSample.withMacsRemoved: must be in (0, 1), got %s",
        fraction);
    return toBuilder().setMacsRemoved(fraction).setTheta(null).build();
  }

  /**
   * Decodes a latent model's samples to uint8 images with this Stable-Diffusion VAE (either weight
   * layout; read and checked when the pipeline is built), rounded by the model family's rule. The
   * decode runs after the timed region: {@link GeneratedSample#computeMicros()} stays the sampler's
   * time, as the original measures its speedups. Without a VAE, a latent model's samples are float
   * latents.
   */
  public CachedSample withVae(String location) {
    return toBuilder().setVae(VaeRef.at("CachedSample.withVae", location)).build();
  }

  /**
   * The kernels this transform samples on, over the model's ({@link LoadModel#withKernels}): {@link
   * Kernels#ONEDNN} (the default) or {@link Kernels#PLAIN}.
   */
  public CachedSample withKernels(Kernels kernels) {
    return toBuilder()
        .setKernels(checkNotNull(kernels, "CachedSample.withKernels: kernels must not be null"))
        .build();
  }

  /**
   * The arithmetic this transform samples with, over the model's ({@link LoadModel#withPrecision}):
   * {@link Precision#FP32} or the opt-in {@link Precision#BF16} (onednn kernels only; see the
   * README for its FID cost).
   */
  public CachedSample withPrecision(Precision precision) {
    return toBuilder()
        .setPrecision(
            checkNotNull(precision, "CachedSample.withPrecision: precision must not be null"))
        .build();
  }

  /**
   * Where the workers run the model (and the VAE): {@code ComputeDevice.parse("gpu", ...)}, {@link
   * ComputeDevice#CPU}, or {@link ComputeDevice#AUTO} (the first GPU a worker's engine sees, else
   * its CPU). Unset, each worker JVM's default ({@code -Dl2c.device}, itself {@code auto} unless
   * set). A worker asked for a GPU it does not see fails with one line naming the device and the
   * engine build. On a GPU the models run the plain kernels (the oneDNN ones are CPU-only), one
   * copy per device and worker JVM.
   */
  public CachedSample withDevice(ComputeDevice device) {
    return toBuilder()
        .setDevice(checkNotNull(device, "CachedSample.withDevice: device must not be null"))
        .build();
  }

  /**
   * The family of the model, when the pipeline author knows it: the sampler, step count, guided
   * channels and a router named by location are then checked against it when the pipeline is built
   * rather than when it runs, and a model of the other family fails naming both. Default: the
   * model's, whatever it is.
   */
  public CachedSample withFamily(ModelFamily family) {
    return toBuilder()
        .setFamily(checkNotNull(family, "CachedSample.withFamily: the family must not be null"))
        .build();
  }

  /**
   * Leaves the router and VAE files to the workers: nothing is read when the pipeline is built, and
   * a bad file fails the pipeline when it runs (as Beam's {@code TextIO.Read.withoutValidation()}).
   */
  public CachedSample withoutValidation() {
    return toBuilder().setValidate(false).build();
  }

  @Override
  public PCollection<GeneratedSample> expand(PCollection<SampleRequest> requests) {
    boolean routed = routerView() != null || routerLocation() != null;
    checkArgument(
        theta() == null || routed,
        "CachedSample.withTheta: a threshold needs a router (withRouter)");
    checkArgument(
        macsRemoved() == null || routed,
        "CachedSample.withMacsRemoved: a MAC budget needs a router (withRouter)");
    if (family() != null) {
      checkSettingsFit(family());
    }
    PCollectionView<RouterArtifact> router = routerView();
    if (ResolveRouter.isRegistryLocation(routerLocation())) {
      router =
          requests
              .getPipeline()
              .apply(
                  "ResolveRouter",
                  ResolveRouter.fromLocation("CachedSample.withRouter", routerLocation(), model())
                      .withSampler(registrySampler())
                      .withSteps(settings().steps()))
              .apply("RouterView", View.asSingleton());
    } else if (routerLocation() != null) {
      router = validate() ? routerReadNow(requests) : routerReadByWorkers(requests);
    }
    VaeRef vae = vae() != null && validate() ? vae().resolve("CachedSample.withVae") : vae();
    ModelExecution execution = LoadModel.execution(kernels(), precision(), "CachedSample");
    SampleFn fn =
        new SampleFn(
            model(),
            router,
            settings(),
            theta(),
            macsRemoved(),
            modelCallsPerWorker(),
            forwardBatch(),
            vae,
            execution == null ? "" : execution.toString(),
            family(),
            device());
    ParDo.SingleOutput<KV<Long, Iterable<SampleRequest>>, GeneratedSample> parDo =
        router == null
            ? ParDo.of(fn).withSideInputs(model())
            : ParDo.of(fn).withSideInputs(model(), router);
    long size = batchSize();
    return requests
        .apply(
            "BatchKeys",
            WithKeys.of((SampleRequest r) -> Math.floorDiv(r.id(), size))
                .withKeyType(TypeDescriptors.longs()))
        .setCoder(KvCoder.of(VarLongCoder.of(), SampleRequestCoder.of()))
        .apply("Batches", GroupIntoBatches.ofSize(size))
        .apply("Sample", parDo)
        .setCoder(GeneratedSampleCoder.of());
  }

  /**
   * The sampler name a registry keys routers by (the one router artifacts record): the explicit
   * sampler's, else the family's if known, else {@link ResolveRouter#FAMILY_SAMPLER}, resolved on
   * the worker from the model.
   */
  private String registrySampler() {
    SamplerKind sampler = settings().sampler();
    if (sampler != null) {
      return sampler == SamplerKind.DPM_SOLVER ? ModelFamily.UVIT.sampler() : sampler.cliName();
    }
    return family() != null ? family().sampler() : ResolveRouter.FAMILY_SAMPLER;
  }

  /**
   * Fails naming the setter unless the sampler, steps and guided channels suit a model of {@code
   * family}.
   */
  private void checkSettingsFit(ModelFamily family) {
    SamplerKind sampler = settings().samplerFor(family);
    sampler.checkRuns(family, "CachedSample.withSampler");
    sampler.checkSteps(settings().steps(), "CachedSample.withSteps");
    checkArgument(
        family == ModelFamily.DIT || settings().guidedChannels() != Guidance.Channels.FIRST_THREE,
        "CachedSample.withGuidedChannels 3 is a DiT option: U-ViT's guidance always covers every latent channel");
  }

  /**
   * Reads the router now and checks what can be checked without the model: its step count against
   * {@link #withSteps}, and its family against an explicit {@link #withSampler}.
   */
  private PCollectionView<RouterArtifact> routerReadNow(PCollection<SampleRequest> requests) {
    RouterArtifact artifact = Routers.read("CachedSample.withRouter", routerLocation());
    checkArgument(
        artifact.steps() == settings().steps(),
        "CachedSample.withRouter: router %s was trained for %s sampling steps, but withSteps is %s",
        routerLocation(),
        artifact.steps(),
        settings().steps());
    checkArgument(
        family() == null || family() == artifact.family(),
        "CachedSample.withRouter: router %s is a %s router (%s), but withFamily is %s",
        routerLocation(),
        artifact.family().id(),
        artifact.sampler(),
        family() == null ? "" : family().id());
    SamplerKind sampler = settings().sampler();
    checkArgument(
        sampler == null || sampler.family() == artifact.family(),
        "CachedSample.withRouter: router %s is a %s router (%s), but withSampler is %s, a %s sampler",
        routerLocation(),
        artifact.family().id(),
        artifact.sampler(),
        sampler == null ? "" : sampler.cliName(),
        sampler == null ? "" : sampler.family().id());
    return requests
        .getPipeline()
        .apply("Router", Create.of(artifact).withCoder(RouterArtifactCoder.of()))
        .apply("RouterView", View.asSingleton());
  }

  private PCollectionView<RouterArtifact> routerReadByWorkers(PCollection<SampleRequest> requests) {
    return requests
        .getPipeline()
        .apply("RouterLocation", Create.of(routerLocation()).withCoder(StringUtf8Coder.of()))
        .apply("ReadRouter", ParDo.of(new ReadRouterFn()))
        .setCoder(RouterArtifactCoder.of())
        .apply("RouterView", View.asSingleton());
  }

  /** Reads a router named by location on a worker ({@link #withoutValidation()}). */
  static final class ReadRouterFn extends DoFn<String, RouterArtifact> {
    @ProcessElement
    public void process(@Element String location, OutputReceiver<RouterArtifact> out) {
      out.output(Routers.read("CachedSample.withRouter", location));
    }
  }

  @Override
  public void populateDisplayData(DisplayData.Builder builder) {
    super.populateDisplayData(builder);
    SamplerKind sampler = settings().sampler();
    builder
        .add(
            DisplayData.item("sampler", sampler == null ? "the model family's" : sampler.cliName())
                .withLabel("Sampler"))
        .add(DisplayData.item("steps", settings().steps()).withLabel("Sampling steps"))
        .add(DisplayData.item("cfgScale", settings().cfgScale()).withLabel("Guidance scale"))
        .add(DisplayData.item("batchSize", batchSize()).withLabel("Requests per batch"))
        .add(
            DisplayData.item("modelCallsPerWorker", modelCallsPerWorker())
                .withLabel("Concurrent batches per worker"))
        .addIfNotNull(DisplayData.item("router", routerLocation()).withLabel("Router"))
        .add(DisplayData.item("forwardBatch", forwardBatch()).withLabel("Requests per model call"))
        .addIfNotNull(DisplayData.item("theta", theta()).withLabel("Threshold θ"))
        .addIfNotNull(
            DisplayData.item("macsRemoved", macsRemoved())
                .withLabel("MACs removed (θ chosen at run time)"))
        .addIfNotNull(
            DisplayData.item("vae", vae() == null ? null : vae().location())
                .withLabel("VAE decoder"))
        .addIfNotNull(
            DisplayData.item("kernels", kernels() == null ? null : kernels().toString())
                .withLabel("Kernels"))
        .addIfNotNull(
            DisplayData.item("precision", precision() == null ? null : precision().toString())
                .withLabel("Precision"))
        .addIfNotDefault(
            DisplayData.item("validate", validate())
                .withLabel("Read files when the pipeline is built"),
            true)
        .addIfNotNull(
            DisplayData.item("family", family() == null ? null : family().id())
                .withLabel("Model family"))
        .addIfNotNull(
            DisplayData.item("device", device() == null ? null : device().toString())
                .withLabel("Device"));
  }

  /**
   * Samples one batch of requests (sorted by id, so a batch's model calls never depend on arrival
   * order).
   */
  static final class SampleFn extends DoFn<KV<Long, Iterable<SampleRequest>>, GeneratedSample> {
    private static final Logger LOG = LoggerFactory.getLogger(CachedSample.class);
    private final Counter images = Metrics.counter(CachedSample.class, "images");
    private final Counter samplingMicros = Metrics.counter(CachedSample.class, "samplingMicros");
    private final Counter unitsComputed = Metrics.counter(CachedSample.class, "unitsComputed");
    private final Counter unitsReused = Metrics.counter(CachedSample.class, "unitsReused");
    private final Distribution batchMillis =
        Metrics.distribution(CachedSample.class, "batchMillis");

    private final PCollectionView<ModelRef> modelView;
    private final @Nullable PCollectionView<RouterArtifact> routerView;
    private final SamplingSettings settings;
    private final @Nullable Double theta;
    private final @Nullable Double macsRemoved;
    private final int modelCallsPerWorker;
    private final int forwardBatch;

    /**
     * The VAE as configured; resolved (read) on the worker if the pipeline was built without
     * validation.
     */
    private final @Nullable VaeRef vae;

    private transient @Nullable VaeRef resolvedVae;

    /** The family {@link #withFamily} promised, or null. */
    private final @Nullable ModelFamily family;

    /** Null for the worker JVM's default. */
    private final @Nullable ComputeDevice device;

    /** {@code kernels/precision} over the model's own, or empty. */
    private final String execution;

    /**
     * The sampler of the side inputs last seen; they are singletons, so this is rebuilt at most per
     * window.
     */
    private transient @Nullable BatchSampler sampler;

    private transient @Nullable ModelRef samplerModel;
    private transient @Nullable RouterArtifact samplerRouter;

    SampleFn(
        PCollectionView<ModelRef> modelView,
        @Nullable PCollectionView<RouterArtifact> routerView,
        SamplingSettings settings,
        @Nullable Double theta,
        @Nullable Double macsRemoved,
        int modelCallsPerWorker,
        int forwardBatch,
        @Nullable VaeRef vae,
        String execution,
        @Nullable ModelFamily family,
        @Nullable ComputeDevice device) {
      this.execution = execution;
      this.family = family;
      this.device = device;
      this.modelView = modelView;
      this.routerView = routerView;
      this.settings = settings;
      this.theta = theta;
      this.macsRemoved = macsRemoved;
      this.modelCallsPerWorker = modelCallsPerWorker;
      this.forwardBatch = forwardBatch;
      this.vae = vae;
    }

    @ProcessElement
    public void process(ProcessContext c) {
      ModelRef model = c.sideInput(modelView);
      RouterArtifact router = routerView == null ? null : c.sideInput(routerView);
      List<SampleRequest> batch = new ArrayList<>();
      for (SampleRequest r : c.element().getValue()) {
        model.checkLabel(r.id(), r.label());
        batch.add(r);
      }
      batch.sort(Comparator.comparingLong(SampleRequest::id));
      BatchSampler s = samplerFor(model, router);
      LOG.info(
          "CachedSample: sampling {} requests (ids {}..{}), {}",
          batch.size(),
          batch.get(0).id(),
          batch.get(batch.size() - 1).id(),
          s.scheduleId());
      BatchSampler.Result r = ModelCallGate.run(modelCallsPerWorker, () -> s.sample(batch));
      LOG.info(
          "CachedSample: sampled ids {}..{} in {} s",
          batch.get(0).id(),
          batch.get(batch.size() - 1).id(),
          String.format(java.util.Locale.ROOT, "%.1f", r.nanos / 1e9));
      images.inc(r.samples.size());
      samplingMicros.inc(r.nanos / 1000);
      unitsComputed.inc(r.unitsComputed);
      unitsReused.inc(r.unitsReused);
      batchMillis.update(r.nanos / 1_000_000);
      List<GeneratedSample> outputs =
          resolvedVae == null
              ? r.samples
              : resolvedVae.decode(
                  r.samples, model.family().quantization(), ComputeDevice.resolveOrDefault(device));
      for (GeneratedSample out : outputs) c.output(out);
    }

    private BatchSampler samplerFor(ModelRef model, @Nullable RouterArtifact router) {
      if (sampler == null
          || !model.equals(samplerModel)
          || !Objects.equals(router, samplerRouter)) {
        sampler = newSampler(model, router);
        samplerModel = model;
        samplerRouter = router;
      }
      return sampler;
    }

    private BatchSampler newSampler(ModelRef model, @Nullable RouterArtifact router) {
      checkArgument(
          family == null || family == model.family(),
          "CachedSample.withFamily(%s): model %s is a %s model",
          family == null ? "" : family.id(),
          model.uri(),
          model.family().id());
      if (vae != null) {
        resolvedVae = vae.resolve("CachedSample.withVae");
        resolvedVae.checkDecodes("CachedSample.withVae", model);
      }
      DiffusionTransformer loaded =
          SharedModels.model(
              execution.isEmpty() ? model : model.withExecution(ModelExecution.parse(execution)),
              ComputeDevice.resolveOrDefault(device));
      String plain = settings.plainScheduleId(model.family());
      if (router == null) {
        return new BatchSampler(loaded, settings, null, plain, forwardBatch);
      }
      Routers.checkFits(router, model, settings.steps());
      ThetaSearch.Choice choice = Routers.choose(router, loaded.macs(), theta, macsRemoved);
      return new BatchSampler(
          loaded, settings, choice.schedule(), scheduleId(plain, choice, router), forwardBatch);
    }

    /**
     * e.g. {@code ddim20-l2c-theta0.1-macs0.221-3f9a02c1}: the sampler, θ, MACs removed, a hash of
     * the mask; with {@code @v3} after it when the router came from a registry.
     */
    private static String scheduleId(
        String plain, ThetaSearch.Choice choice, RouterArtifact router) {
      CacheSchedule schedule = choice.schedule();
      StringBuilder bits = new StringBuilder();
      for (int k = 0; k < schedule.steps(); k++) bits.append(schedule.bits(k)).append('/');
      String hash = ModelFiles.sha256(bits.toString()).substring(0, 8);
      String id = ScheduleId.cached(plain, choice.theta(), choice.removedFraction(), hash);
      String version = ResolveRouter.versionOf(router);
      return version == null ? id : ScheduleId.fromRegistryVersion(id, version);
    }
  }
}
