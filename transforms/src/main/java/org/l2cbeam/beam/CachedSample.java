package org.l2cbeam.beam;

import com.google.auto.value.AutoValue;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import org.apache.beam.sdk.coders.KvCoder;
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
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.l2cbeam.core.diffusion.Guidance;
import org.l2cbeam.core.model.DiT;
import org.l2cbeam.core.model.Kernels;
import org.l2cbeam.core.model.ModelExecution;
import org.l2cbeam.core.model.Precision;
import org.l2cbeam.core.router.CacheSchedule;
import org.l2cbeam.core.router.RouterArtifact;
import org.l2cbeam.core.router.ThetaSearch;
import org.l2cbeam.core.runtime.ComputeDevice;

/**
 * Generates one image per {@link SampleRequest} with a DiT, optionally with a learned L2C cache schedule: the
 * transform a Beam user composes after {@link LoadModel} (and {@link TrainRouter}).
 *
 * <pre>{@code
 * PCollection<GeneratedSample> images =
 *     requests.apply(CachedSample.using(model).withSteps(20).withCfgScale(1.5)
 *         .withRouter("router.json").withTheta(0.1).withBatchSize(16));
 * }</pre>
 *
 * <ul>
 *   <li>Without a router it is the plain sampler, the baseline.
 *   <li>Requests are grouped into batches by id ({@link #withBatchSize}); each sample's noise comes from its own seed,
 *       and the model always runs on fixed-size chunks, so a request gives the same bytes whatever its batch,
 *       bundle, worker or runner.
 *   <li>The model is loaded once per worker JVM and shared by all threads ({@link SharedModels}); grad mode is off.
 *   <li>Metrics ({@code org.l2cbeam.beam.CachedSample}): {@code images}, {@code samplingMicros} (images/s = images /
 *       samplingMicros × 1e6), {@code unitsComputed} and {@code unitsReused} (cache-unit evaluations), {@code
 *       batchMillis}.
 * </ul>
 */
@AutoValue
public abstract class CachedSample extends PTransform<PCollection<SampleRequest>, PCollection<GeneratedSample>> {
  private static final long serialVersionUID = 1L;
  static final int DEFAULT_BATCH_SIZE = 8;

  abstract PCollectionView<ModelRef> model();

  abstract SamplingSettings settings();

  abstract int batchSize();

  abstract int modelCallsPerWorker();

  abstract int forwardBatch();

  abstract @Nullable VaeRef vae();

  /** Fraction of the run's MACs to remove, θ chosen from the router at run time; null: use {@link #theta()}. */
  abstract @Nullable Double macsRemoved();

  abstract @Nullable PCollectionView<RouterArtifact> routerView();

  /** A router given by location; read and checked at construction. */
  abstract @Nullable String routerLocation();

  abstract @Nullable Integer routerSteps();

  abstract @Nullable Double theta();

  abstract @Nullable Kernels kernels();

  abstract @Nullable Precision precision();

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

    abstract Builder setRouterSteps(@Nullable Integer steps);

    abstract Builder setTheta(@Nullable Double theta);

    abstract Builder setKernels(@Nullable Kernels kernels);

    abstract Builder setPrecision(@Nullable Precision precision);

    abstract Builder setDevice(@Nullable ComputeDevice device);

    abstract CachedSample build();
  }

  /** Samples with the model of {@code model} (from {@link LoadModel}, as a singleton side input). */
  public static CachedSample using(PCollectionView<ModelRef> model) {
    if (model == null) {
      throw new IllegalArgumentException("CachedSample.using: the model side input is null (use LoadModel)");
    }
    return new AutoValue_CachedSample.Builder()
        .setModel(model)
        .setSettings(SamplingSettings.of("ddim", 20, 1.0, null))
        .setBatchSize(DEFAULT_BATCH_SIZE)
        .setModelCallsPerWorker(1)
        .setForwardBatch(BatchSampler.FORWARD_BATCH)
        .build();
  }

  /** Sampling steps (default 20); must equal the router's step count when there is a router. */
  public CachedSample withSteps(int steps) {
    if (steps <= 0) {
      throw new IllegalArgumentException("CachedSample.withSteps: must be positive, got " + steps);
    }
    SamplingSettings s = settings();
    return toBuilder().setSettings(SamplingSettings.of(s.sampler(), steps, s.cfgScale(), s.guidedChannels())).build();
  }

  /** {@code ddim} (default; eta = 0, what L2C routers are trained for) or {@code ddpm}. */
  public CachedSample withSampler(String sampler) {
    if (!"ddim".equals(sampler) && !"ddpm".equals(sampler)) {
      throw new IllegalArgumentException("CachedSample.withSampler: must be ddim or ddpm, got '" + sampler + "'");
    }
    SamplingSettings s = settings();
    return toBuilder().setSettings(SamplingSettings.of(sampler, s.steps(), s.cfgScale(), s.guidedChannels())).build();
  }

  /** Classifier-free guidance scale; 1 (default) is no guidance. */
  public CachedSample withCfgScale(double scale) {
    if (!(scale >= 1.0) || Double.isInfinite(scale)) {
      throw new IllegalArgumentException("CachedSample.withCfgScale: must be finite and >= 1 (1 = none), got " + scale);
    }
    SamplingSettings s = settings();
    return toBuilder().setSettings(SamplingSettings.of(s.sampler(), s.steps(), scale, s.guidedChannels())).build();
  }

  /** Guided channels: {@code FIRST_THREE} (DiT's quirk, default for models with 3+ channels) or {@code ALL}. */
  public CachedSample withGuidedChannels(Guidance.Channels channels) {
    SamplingSettings s = settings();
    return toBuilder().setSettings(SamplingSettings.of(s.sampler(), s.steps(), s.cfgScale(), channels)).build();
  }

  /**
   * Requests per batch (default 8). Requests are grouped by {@code floor(id / batchSize)}, so consecutive ids (as
   * {@code SampleRequests} and the pipelines number them) make full batches however the runner splits bundles. The
   * model itself always runs on fixed chunks of {@link #withForwardBatch} requests, so this never changes the images.
   */
  public CachedSample withBatchSize(int batchSize) {
    if (batchSize <= 0) {
      throw new IllegalArgumentException("CachedSample.withBatchSize: must be positive, got " + batchSize);
    }
    return toBuilder().setBatchSize(batchSize).build();
  }

  /**
   * Batches sampled at once per worker JVM (default 1): on CPU one batch already uses every core, and more only makes
   * the threads compete ({@link ModelCallGate}); on a GPU raise it while the memory allows.
   */
  public CachedSample withModelCallsPerWorker(int calls) {
    if (calls <= 0) {
      throw new IllegalArgumentException("CachedSample.withModelCallsPerWorker: must be positive, got " + calls);
    }
    return toBuilder().setModelCallsPerWorker(calls).build();
  }

  /**
   * Requests per model call (default {@value BatchSampler#FORWARD_BATCH}; CFG doubles the rows). Every call has exactly
   * this shape (short batches are padded), because libtorch's CPU kernels round differently for different row counts:
   * the images depend on this value, and on nothing else about batching. Larger values amortise per-call overhead on
   * small models.
   */
  public CachedSample withForwardBatch(int forwardBatch) {
    if (forwardBatch <= 0) {
      throw new IllegalArgumentException("CachedSample.withForwardBatch: must be positive, got " + forwardBatch);
    }
    return toBuilder().setForwardBatch(forwardBatch).build();
  }

  /** The router as a singleton side input, e.g. {@link TrainRouter}'s output; checked against the model at run time. */
  public CachedSample withRouter(PCollectionView<RouterArtifact> router) {
    if (router == null) {
      throw new IllegalArgumentException("CachedSample.withRouter: the router side input is null");
    }
    return toBuilder().setRouterView(router).setRouterLocation(null).setRouterSteps(null).build();
  }

  /**
   * A router artifact (our JSON) or an official router checkpoint, read now so a bad file or a step-count mismatch is
   * reported at construction; or {@code registry+LOCATION} ({@code registry+gs://bucket/routers}, {@code
   * registry+/srv/routers}, {@code registry+LOCATION#v3} for a fixed version): the router a {@link
   * org.l2cbeam.registry.RouterRegistry} publishes for this model, sampler and step count, resolved once when the
   * pipeline runs ({@link ResolveRouter}); the version used is appended to the samples' schedule id.
   */
  public CachedSample withRouter(String location) {
    if (ResolveRouter.isRegistryLocation(location)) {
      ResolveRouter.fromLocation("CachedSample.withRouter", location, model()); // checks the form now
      return toBuilder().setRouterView(null).setRouterLocation(location).setRouterSteps(null).build();
    }
    RouterArtifact artifact = Routers.read("CachedSample.withRouter", location);
    return toBuilder().setRouterView(null).setRouterLocation(location).setRouterSteps(artifact.steps()).build();
  }

  /** The threshold θ in (0, 1): unit u is computed at cache step k iff sigmoid(p_k[u]) > θ. Default: the router's. */
  public CachedSample withTheta(double theta) {
    if (!(theta > 0.0 && theta < 1.0)) {
      throw new IllegalArgumentException("CachedSample.withTheta: theta must be in (0, 1), got " + theta);
    }
    return toBuilder().setTheta(theta).setMacsRemoved(null).build();
  }

  /**
   * Chooses θ at run time, from the router's scores, as the threshold that removes at least {@code fraction} of the
   * run's MACs (the smallest such removal; ties in β cannot be split). For a router trained in the same pipeline, whose
   * scores are not known when the pipeline is built. Replaces {@link #withTheta}.
   */
  public CachedSample withMacsRemoved(double fraction) {
    if (!(fraction > 0.0 && fraction < 1.0)) {
      throw new IllegalArgumentException("CachedSample.withMacsRemoved: must be in (0, 1), got " + fraction);
    }
    return toBuilder().setMacsRemoved(fraction).setTheta(null).build();
  }

  /**
   * Decodes a latent model's samples to uint8 images with this Stable-Diffusion VAE (either weight layout; read and
   * checked now). The decode runs after the timed region: {@link GeneratedSample#computeMicros()} stays the sampler's
   * time, as the original measures its speedups. Without a VAE, a latent model's samples are float latents.
   */
  public CachedSample withVae(String location) {
    return toBuilder().setVae(VaeRef.resolve("CachedSample.withVae", location)).build();
  }

  /**
   * The kernels this transform samples on, over the model's ({@link LoadModel#withKernels}): {@link Kernels#ONEDNN}
   * (the default) or {@link Kernels#PLAIN}.
   */
  public CachedSample withKernels(Kernels kernels) {
    if (kernels == null) throw new IllegalArgumentException("CachedSample.withKernels: kernels must not be null");
    return toBuilder().setKernels(kernels).build();
  }

  /**
   * The arithmetic this transform samples with, over the model's ({@link LoadModel#withPrecision}): {@link
   * Precision#FP32} or the opt-in {@link Precision#BF16} (onednn kernels only; see the README for its FID cost).
   */
  public CachedSample withPrecision(Precision precision) {
    if (precision == null) throw new IllegalArgumentException("CachedSample.withPrecision: precision must not be null");
    return toBuilder().setPrecision(precision).build();
  }

  /**
   * Where the workers run the model (and the VAE): {@code ComputeDevice.parse("gpu", ...)}, {@link ComputeDevice#CPU}, or
   * {@link ComputeDevice#AUTO} (the first GPU a worker's engine sees, else its CPU). Unset, each worker JVM's default
   * ({@code -Dl2c.device}, itself {@code auto} unless set). A worker asked for a GPU it does not see fails with one
   * line naming the device and the engine build. On a GPU the models run the plain kernels (the oneDNN ones are
   * CPU-only), one copy per device and worker JVM.
   */
  public CachedSample withDevice(ComputeDevice device) {
    if (device == null) throw new IllegalArgumentException("CachedSample.withDevice: device must not be null");
    return toBuilder().setDevice(device).build();
  }

  @Override
  public PCollection<GeneratedSample> expand(PCollection<SampleRequest> requests) {
    if (theta() != null && routerView() == null && routerLocation() == null) {
      throw new IllegalArgumentException("CachedSample.withTheta: a threshold needs a router (withRouter)");
    }
    if (macsRemoved() != null && routerView() == null && routerLocation() == null) {
      throw new IllegalArgumentException("CachedSample.withMacsRemoved: a MAC budget needs a router (withRouter)");
    }
    if (routerSteps() != null && routerSteps() != settings().steps()) {
      throw new IllegalArgumentException(
          "CachedSample.withRouter: router " + routerLocation() + " was trained for " + routerSteps()
              + " sampling steps, but withSteps is " + settings().steps());
    }
    PCollectionView<RouterArtifact> router = routerView();
    if (ResolveRouter.isRegistryLocation(routerLocation())) {
      router =
          requests.getPipeline()
              .apply("ResolveRouter", ResolveRouter.fromLocation("CachedSample.withRouter", routerLocation(), model())
                  .withSampler(settings().sampler()).withSteps(settings().steps()))
              .apply("RouterView", View.asSingleton());
    } else if (routerLocation() != null) {
      RouterArtifact artifact = Routers.read("CachedSample.withRouter", routerLocation());
      router =
          requests.getPipeline()
              .apply("Router", Create.of(artifact).withCoder(RouterArtifactCoder.of()))
              .apply("RouterView", View.asSingleton());
    }
    ModelExecution execution = LoadModel.execution(kernels(), precision(), "CachedSample");
    SampleFn fn = new SampleFn(model(), router, settings(), theta(), macsRemoved(), modelCallsPerWorker(),
        forwardBatch(), vae(), execution == null ? "" : execution.toString(), device());
    ParDo.SingleOutput<KV<Long, Iterable<SampleRequest>>, GeneratedSample> parDo =
        ParDo.of(fn).withSideInputs(model());
    if (router != null) {
      parDo = ParDo.of(fn).withSideInputs(model(), router);
    }
    long size = batchSize();
    return requests
        .apply("BatchKeys", WithKeys.of((SampleRequest r) -> Math.floorDiv(r.id(), size))
            .withKeyType(TypeDescriptors.longs()))
        .setCoder(KvCoder.of(VarLongCoder.of(), SampleRequestCoder.of()))
        .apply("Batches", GroupIntoBatches.ofSize(size))
        .apply("Sample", parDo)
        .setCoder(GeneratedSampleCoder.of());
  }

  @Override
  public void populateDisplayData(DisplayData.Builder builder) {
    super.populateDisplayData(builder);
    builder
        .add(DisplayData.item("sampler", settings().sampler()).withLabel("Sampler"))
        .add(DisplayData.item("steps", settings().steps()).withLabel("Sampling steps"))
        .add(DisplayData.item("cfgScale", settings().cfgScale()).withLabel("Guidance scale"))
        .add(DisplayData.item("batchSize", batchSize()).withLabel("Requests per batch"))
        .add(DisplayData.item("modelCallsPerWorker", modelCallsPerWorker()).withLabel("Concurrent batches per worker"))
        .addIfNotNull(DisplayData.item("router", routerLocation()).withLabel("Router"))
        .add(DisplayData.item("forwardBatch", forwardBatch()).withLabel("Requests per model call"))
        .addIfNotNull(DisplayData.item("theta", theta()).withLabel("Threshold θ"))
        .addIfNotNull(DisplayData.item("macsRemoved", macsRemoved()).withLabel("MACs removed (θ chosen at run time)"))
        .addIfNotNull(DisplayData.item("vae", vae() == null ? null : vae().location()).withLabel("VAE decoder"))
        .addIfNotNull(DisplayData.item("kernels", kernels() == null ? null : kernels().toString()).withLabel("Kernels"))
        .addIfNotNull(DisplayData.item("precision", precision() == null ? null : precision().toString())
            .withLabel("Precision"))
        .addIfNotNull(DisplayData.item("device", device() == null ? null : device().toString()).withLabel("Device"));
  }

  /** Samples one batch of requests (sorted by id, so a batch's model calls never depend on arrival order). */
  static final class SampleFn extends DoFn<KV<Long, Iterable<SampleRequest>>, GeneratedSample> {
    private static final Logger LOG = LoggerFactory.getLogger(CachedSample.class);
    private final Counter images = Metrics.counter(CachedSample.class, "images");
    private final Counter samplingMicros = Metrics.counter(CachedSample.class, "samplingMicros");
    private final Counter unitsComputed = Metrics.counter(CachedSample.class, "unitsComputed");
    private final Counter unitsReused = Metrics.counter(CachedSample.class, "unitsReused");
    private final Distribution batchMillis = Metrics.distribution(CachedSample.class, "batchMillis");

    private final PCollectionView<ModelRef> modelView;
    private final @Nullable PCollectionView<RouterArtifact> routerView;
    private final SamplingSettings settings;
    private final @Nullable Double theta;
    private final @Nullable Double macsRemoved;
    private final int modelCallsPerWorker;
    private final int forwardBatch;
    private final @Nullable VaeRef vae;
    /** {@code kernels/precision} over the model's own, or empty. */
    private final String execution;
    /** Null for the worker JVM's default. */
    private final @Nullable ComputeDevice device;

    /** The sampler of the side inputs last seen; they are singletons, so this is rebuilt at most per window. */
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
        @Nullable ComputeDevice device) {
      this.execution = execution;
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
      LOG.info("CachedSample: sampling {} requests (ids {}..{}), {}", batch.size(), batch.get(0).id(),
          batch.get(batch.size() - 1).id(), s.scheduleId());
      BatchSampler.Result r = ModelCallGate.run(modelCallsPerWorker, () -> s.sample(batch));
      LOG.info("CachedSample: sampled ids {}..{} in {} s", batch.get(0).id(), batch.get(batch.size() - 1).id(),
          String.format(java.util.Locale.ROOT, "%.1f", r.nanos / 1e9));
      images.inc(r.samples.size());
      samplingMicros.inc(r.nanos / 1000);
      unitsComputed.inc(r.unitsComputed);
      unitsReused.inc(r.unitsReused);
      batchMillis.update(r.nanos / 1_000_000);
      List<GeneratedSample> outputs =
          vae == null ? r.samples : vae.decode(r.samples, ComputeDevice.resolveOrDefault(device));
      for (GeneratedSample out : outputs) c.output(out);
    }

    private BatchSampler samplerFor(ModelRef model, @Nullable RouterArtifact router) {
      if (sampler == null || !model.equals(samplerModel) || !Objects.equals(router, samplerRouter)) {
        sampler = newSampler(model, router);
        samplerModel = model;
        samplerRouter = router;
      }
      return sampler;
    }

    private BatchSampler newSampler(ModelRef model, @Nullable RouterArtifact router) {
      if (vae != null) vae.checkDecodes("CachedSample.withVae", model);
      DiT dit = DitModels.shared(execution.isEmpty() ? model : model.withExecution(ModelExecution.parse(execution)),
          ComputeDevice.resolveOrDefault(device));
      if (router == null) {
        return new BatchSampler(dit, settings, null, settings.plainScheduleId(), forwardBatch);
      }
      Routers.checkFits(router, model, settings.steps());
      ThetaSearch.Choice choice = Routers.choose(router, dit.config(), theta, macsRemoved);
      return new BatchSampler(dit, settings, choice.schedule(), scheduleId(choice, router), forwardBatch);
    }

    /**
     * e.g. {@code ddim20-l2c-theta0.1-macs0.221-3f9a02c1}: the sampler, θ, MACs removed, a hash of the mask; with
     * {@code @v3} after it when the router came from a registry.
     */
    private String scheduleId(ThetaSearch.Choice choice, RouterArtifact router) {
      CacheSchedule schedule = choice.schedule();
      StringBuilder bits = new StringBuilder();
      for (int k = 0; k < schedule.steps(); k++) bits.append(schedule.bits(k)).append('/');
      String hash = ModelFiles.sha256(bits.toString()).substring(0, 8);
      String id = ScheduleId.cached(settings.plainScheduleId(), choice.theta(), choice.removedFraction(), hash);
      String version = ResolveRouter.versionOf(router);
      return version == null ? id : ScheduleId.fromRegistryVersion(id, version);
    }
  }
}
