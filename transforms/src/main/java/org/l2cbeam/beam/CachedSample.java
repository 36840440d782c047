package org.l2cbeam.beam;

import com.google.auto.value.AutoValue;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.metrics.Distribution;
import org.apache.beam.sdk.metrics.Metrics;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.View;
import org.apache.beam.sdk.transforms.display.DisplayData;
import org.apache.beam.sdk.transforms.windowing.BoundedWindow;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionView;
import org.checkerframework.checker.nullness.qual.Nullable;
import org.joda.time.Instant;
import org.l2cbeam.core.diffusion.Guidance;
import org.l2cbeam.core.model.DiT;
import org.l2cbeam.core.router.CacheSchedule;
import org.l2cbeam.core.router.RouterArtifact;

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
 *   <li>Requests are batched within a bundle ({@link #withBatchSize}); each sample's noise comes from its own seed,
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

  abstract @Nullable PCollectionView<RouterArtifact> routerView();

  /** A router given by location; read and checked at construction. */
  abstract @Nullable String routerLocation();

  abstract @Nullable Integer routerSteps();

  abstract @Nullable Double theta();

  abstract Builder toBuilder();

  @AutoValue.Builder
  abstract static class Builder {
    abstract Builder setModel(PCollectionView<ModelRef> model);

    abstract Builder setSettings(SamplingSettings settings);

    abstract Builder setBatchSize(int batchSize);

    abstract Builder setRouterView(@Nullable PCollectionView<RouterArtifact> router);

    abstract Builder setRouterLocation(@Nullable String location);

    abstract Builder setRouterSteps(@Nullable Integer steps);

    abstract Builder setTheta(@Nullable Double theta);

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
   * Requests buffered per bundle before sampling (default 8; the model itself always runs on fixed chunks of {@link
   * BatchSampler#FORWARD_BATCH}, so this never changes the images): larger values pad less at bundle ends.
   */
  public CachedSample withBatchSize(int batchSize) {
    if (batchSize <= 0) {
      throw new IllegalArgumentException("CachedSample.withBatchSize: must be positive, got " + batchSize);
    }
    return toBuilder().setBatchSize(batchSize).build();
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
   * reported at construction.
   */
  public CachedSample withRouter(String location) {
    RouterArtifact artifact = Routers.read("CachedSample.withRouter", location);
    return toBuilder().setRouterView(null).setRouterLocation(location).setRouterSteps(artifact.steps()).build();
  }

  /** The threshold θ in (0, 1): unit u is computed at cache step k iff sigmoid(p_k[u]) > θ. Default: the router's. */
  public CachedSample withTheta(double theta) {
    if (!(theta > 0.0 && theta < 1.0)) {
      throw new IllegalArgumentException("CachedSample.withTheta: theta must be in (0, 1), got " + theta);
    }
    return toBuilder().setTheta(theta).build();
  }

  @Override
  public PCollection<GeneratedSample> expand(PCollection<SampleRequest> requests) {
    if (theta() != null && routerView() == null && routerLocation() == null) {
      throw new IllegalArgumentException("CachedSample.withTheta: a threshold needs a router (withRouter)");
    }
    if (routerSteps() != null && routerSteps() != settings().steps()) {
      throw new IllegalArgumentException(
          "CachedSample.withRouter: router " + routerLocation() + " was trained for " + routerSteps()
              + " sampling steps, but withSteps is " + settings().steps());
    }
    PCollectionView<RouterArtifact> router = routerView();
    if (routerLocation() != null) {
      RouterArtifact artifact = Routers.read("CachedSample.withRouter", routerLocation());
      router =
          requests.getPipeline()
              .apply("Router", Create.of(artifact).withCoder(RouterArtifactCoder.of()))
              .apply("RouterView", View.asSingleton());
    }
    SampleFn fn = new SampleFn(model(), router, settings(), theta(), batchSize());
    ParDo.SingleOutput<SampleRequest, GeneratedSample> parDo = ParDo.of(fn).withSideInputs(model());
    if (router != null) {
      parDo = ParDo.of(fn).withSideInputs(model(), router);
    }
    return requests.apply("Sample", parDo).setCoder(GeneratedSampleCoder.of());
  }

  @Override
  public void populateDisplayData(DisplayData.Builder builder) {
    super.populateDisplayData(builder);
    builder
        .add(DisplayData.item("sampler", settings().sampler()).withLabel("Sampler"))
        .add(DisplayData.item("steps", settings().steps()).withLabel("Sampling steps"))
        .add(DisplayData.item("cfgScale", settings().cfgScale()).withLabel("Guidance scale"))
        .add(DisplayData.item("batchSize", batchSize()).withLabel("Requests per model call"))
        .addIfNotNull(DisplayData.item("router", routerLocation()).withLabel("Router"))
        .addIfNotNull(DisplayData.item("theta", theta()).withLabel("Threshold θ"));
  }

  /** Buffers requests per window, samples full batches as they fill and the rest at the end of the bundle. */
  static final class SampleFn extends DoFn<SampleRequest, GeneratedSample> {
    private final Counter images = Metrics.counter(CachedSample.class, "images");
    private final Counter samplingMicros = Metrics.counter(CachedSample.class, "samplingMicros");
    private final Counter unitsComputed = Metrics.counter(CachedSample.class, "unitsComputed");
    private final Counter unitsReused = Metrics.counter(CachedSample.class, "unitsReused");
    private final Distribution batchMillis = Metrics.distribution(CachedSample.class, "batchMillis");

    private final PCollectionView<ModelRef> modelView;
    private final @Nullable PCollectionView<RouterArtifact> routerView;
    private final SamplingSettings settings;
    private final @Nullable Double theta;
    private final int batchSize;

    private transient Map<BoundedWindow, Pending> pending;

    SampleFn(
        PCollectionView<ModelRef> modelView,
        @Nullable PCollectionView<RouterArtifact> routerView,
        SamplingSettings settings,
        @Nullable Double theta,
        int batchSize) {
      this.modelView = modelView;
      this.routerView = routerView;
      this.settings = settings;
      this.theta = theta;
      this.batchSize = batchSize;
    }

    /** Requests of one window waiting for a full batch, with the sampler built from that window's side inputs. */
    private static final class Pending {
      final BatchSampler sampler;
      final List<SampleRequest> requests = new ArrayList<>();
      Instant maxTimestamp = BoundedWindow.TIMESTAMP_MIN_VALUE;

      Pending(BatchSampler sampler) {
        this.sampler = sampler;
      }
    }

    @StartBundle
    public void startBundle() {
      pending = new HashMap<>();
    }

    @ProcessElement
    public void process(ProcessContext c, BoundedWindow window) {
      Pending p = pending.get(window);
      if (p == null) {
        ModelRef model = c.sideInput(modelView);
        RouterArtifact router = routerView == null ? null : c.sideInput(routerView);
        p = new Pending(newSampler(model, router));
        pending.put(window, p);
      }
      SampleRequest request = c.element();
      c.sideInput(modelView).checkLabel(request.id(), request.label());
      p.requests.add(request);
      if (c.timestamp().isAfter(p.maxTimestamp)) p.maxTimestamp = c.timestamp();
      if (p.requests.size() >= batchSize) {
        for (GeneratedSample s : run(p)) c.output(s); // all buffered requests share this element's window
      }
    }

    @FinishBundle
    public void finishBundle(FinishBundleContext c) {
      for (Map.Entry<BoundedWindow, Pending> e : pending.entrySet()) {
        Pending p = e.getValue();
        if (!p.requests.isEmpty()) {
          Instant ts = p.maxTimestamp;
          for (GeneratedSample s : run(p)) c.output(s, ts, e.getKey());
        }
      }
      pending.clear();
    }

    private List<GeneratedSample> run(Pending p) {
      BatchSampler.Result r = p.sampler.sample(new ArrayList<>(p.requests));
      p.requests.clear();
      images.inc(r.samples.size());
      samplingMicros.inc(r.nanos / 1000);
      unitsComputed.inc(r.unitsComputed);
      unitsReused.inc(r.unitsReused);
      batchMillis.update(r.nanos / 1_000_000);
      return r.samples;
    }

    private BatchSampler newSampler(ModelRef model, @Nullable RouterArtifact router) {
      DiT dit = DitModels.shared(model);
      if (router == null) {
        return new BatchSampler(dit, settings, null, settings.plainScheduleId());
      }
      Routers.checkFits(router, model, settings.steps());
      double t = theta != null ? theta : router.theta();
      CacheSchedule schedule = router.scores().schedule(t);
      return new BatchSampler(dit, settings, schedule, scheduleId(t, schedule));
    }

    /** e.g. {@code ddim20-l2c-theta0.1-3f9a02c1}: the sampler, θ and a hash of the mask itself. */
    private String scheduleId(double t, CacheSchedule schedule) {
      StringBuilder bits = new StringBuilder();
      for (int k = 0; k < schedule.steps(); k++) bits.append(schedule.bits(k)).append('/');
      String hash = ModelFiles.sha256(bits.toString()).substring(0, 8);
      return settings.plainScheduleId() + "-l2c-theta" + t + "-" + hash;
    }
  }

}
