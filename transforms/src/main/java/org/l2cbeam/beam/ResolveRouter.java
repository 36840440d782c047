package org.l2cbeam.beam;

import com.google.auto.value.AutoValue;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.display.DisplayData;
import org.apache.beam.sdk.values.PBegin;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionView;
import org.checkerframework.checker.nullness.qual.Nullable;
import org.l2cbeam.core.router.RouterArtifact;
import org.l2cbeam.registry.PublishedRouter;
import org.l2cbeam.registry.RouterKey;
import org.l2cbeam.registry.RouterRegistry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads the router a {@link RouterRegistry} publishes for the model of a {@link LoadModel} side
 * input: one {@link RouterArtifact}, for {@link CachedSample#withRouter(PCollectionView)}. {@link
 * CachedSample#withRouter(String)} builds this itself for a location of the form {@code
 * registry+LOCATION} ({@code registry+gs://bucket/routers}, {@code registry+/srv/routers}), or
 * {@code registry+LOCATION#v3} for a fixed version.
 *
 * <pre>{@code
 * PCollectionView<RouterArtifact> router =
 *     p.apply(ResolveRouter.latest("gs://my-bucket/l2c/routers", model).withSteps(20)).apply(View.asSingleton());
 * }</pre>
 *
 * <p>The registry keys routers by the model's weights (their sha256), the sampler and the step
 * count, and only the weights' fingerprint is known once {@link LoadModel} has validated the
 * checkpoint; so the router is resolved when the pipeline runs, once, as a single element: every
 * worker samples with the same version, even if a retraining job publishes a new one during the
 * run. The version read is recorded in the artifact's provenance ({@code source} is the version's
 * {@code router.json}, {@code sourceSha256} its sha256), and {@link CachedSample} appends it to
 * every sample's schedule id ({@code ddim20-l2c-theta0.1-macs0.252-3f9a02c1@v3}), so results say
 * which version made them.
 *
 * <p>Workers read a {@code gs://} registry with Application Default Credentials (on Dataflow, the
 * workers' service account). A key with nothing published fails the run, naming the registry and
 * the key.
 */
@AutoValue
public abstract class ResolveRouter extends PTransform<PBegin, PCollection<RouterArtifact>> {
  private static final long serialVersionUID = 1L;

  /**
   * The prefix that makes a router location a registry: {@code registry+gs://bucket/prefix[#vN]}.
   */
  public static final String URI_PREFIX = "registry+";

  /**
   * {@link #withSampler} value meaning "the sampler the model's family trains its routers for",
   * read on the worker.
   */
  public static final String FAMILY_SAMPLER = "family";

  private static final Pattern PINNED = Pattern.compile("(.*)#v([1-9][0-9]*)");
  private static final Pattern VERSION_SOURCE = Pattern.compile(".*/v([1-9][0-9]*)/router\\.json");

  abstract String registry();

  abstract PCollectionView<ModelRef> model();

  abstract String sampler();

  abstract int steps();

  /** 0: the latest. */
  abstract int version();

  /** What to output when nothing is published for the key; null: fail. */
  abstract @Nullable PCollectionView<RouterArtifact> fallback();

  /** True: output no element when nothing is published for the key (and no fallback is given). */
  abstract boolean emptyWhenUnpublished();

  abstract Builder toBuilder();

  @AutoValue.Builder
  abstract static class Builder {
    abstract Builder setRegistry(String registry);

    abstract Builder setModel(PCollectionView<ModelRef> model);

    abstract Builder setSampler(String sampler);

    abstract Builder setSteps(int steps);

    abstract Builder setVersion(int version);

    abstract Builder setFallback(@Nullable PCollectionView<RouterArtifact> fallback);

    abstract Builder setEmptyWhenUnpublished(boolean empty);

    abstract ResolveRouter build();
  }

  /**
   * The latest router of {@code registry} (a local directory or {@code gs://BUCKET/PREFIX}) for
   * {@code model}.
   */
  public static ResolveRouter latest(String registry, PCollectionView<ModelRef> model) {
    if (registry == null || registry.isBlank()) {
      throw new IllegalArgumentException("ResolveRouter.latest: the registry location is empty");
    }
    if (model == null) {
      throw new IllegalArgumentException(
          "ResolveRouter.latest: the model side input is null (use LoadModel)");
    }
    return new AutoValue_ResolveRouter.Builder()
        .setRegistry(registry)
        .setModel(model)
        .setSampler("ddim")
        .setSteps(TrainRouter.DEFAULT_SAMPLING_STEPS)
        .setVersion(0)
        .setEmptyWhenUnpublished(false)
        .build();
  }

  /** True if {@code location} names a registry ({@code registry+...}) rather than a router file. */
  public static boolean isRegistryLocation(@Nullable String location) {
    return location != null && location.startsWith(URI_PREFIX);
  }

  /**
   * The transform a {@code registry+LOCATION[#vN]} router location stands for; errors name {@code
   * option}.
   */
  static ResolveRouter fromLocation(
      String option, String location, PCollectionView<ModelRef> model) {
    String rest = location.substring(URI_PREFIX.length());
    Matcher pinned = PINNED.matcher(rest);
    String registry = pinned.matches() ? pinned.group(1) : rest;
    if (registry.isBlank() || registry.contains("#")) {
      throw new IllegalArgumentException(
          option + ": '" + location + "' is not registry+LOCATION or" + " registry+LOCATION#vN");
    }
    ResolveRouter t = latest(registry, model);
    return pinned.matches() ? t.withVersion(Integer.parseInt(pinned.group(2))) : t;
  }

  /** The sampler the router must be trained for (default {@code ddim}). */
  public ResolveRouter withSampler(String sampler) {
    if (sampler == null || sampler.isBlank()) {
      throw new IllegalArgumentException("ResolveRouter.withSampler: the sampler is empty");
    }
    return toBuilder().setSampler(sampler).build();
  }

  /** The sampling step count the router must be trained for (default 20). */
  public ResolveRouter withSteps(int steps) {
    if (steps <= 0)
      throw new IllegalArgumentException("ResolveRouter.withSteps: must be positive, got " + steps);
    return toBuilder().setSteps(steps).build();
  }

  /** A fixed version instead of the latest (to reproduce a run, or to try a rollback target). */
  public ResolveRouter withVersion(int version) {
    if (version < 1)
      throw new IllegalArgumentException(
          "ResolveRouter.withVersion: versions start at 1, got " + version);
    if (fallback() != null || emptyWhenUnpublished()) {
      throw new IllegalArgumentException(
          "ResolveRouter.withVersion: a pinned version has no fallback");
    }
    return toBuilder().setVersion(version).build();
  }

  /**
   * When nothing is published for the key yet, outputs {@code fallback}'s router instead of
   * failing: a retraining pipeline judges its candidate against the latest, or against itself
   * before the first publish.
   */
  public ResolveRouter orElse(PCollectionView<RouterArtifact> fallback) {
    if (fallback == null)
      throw new IllegalArgumentException("ResolveRouter.orElse: the fallback side input is null");
    if (version() != 0)
      throw new IllegalArgumentException("ResolveRouter.orElse: a pinned version has no fallback");
    return toBuilder().setFallback(fallback).setEmptyWhenUnpublished(false).build();
  }

  /**
   * When nothing is published for the key yet, outputs no element instead of failing: for a
   * consumer to whom "none yet" means something, such as {@link TrainRouter#withInitialRouter},
   * which then starts from its seed's routers.
   */
  public ResolveRouter orElseNothing() {
    if (version() != 0)
      throw new IllegalArgumentException(
          "ResolveRouter.orElseNothing: a pinned version has no fallback");
    return toBuilder().setFallback(null).setEmptyWhenUnpublished(true).build();
  }

  /**
   * The registry version a router was resolved from (3 for {@code v3}), or 0 for a router that did
   * not come from one.
   */
  public static int registryVersion(RouterArtifact router) {
    RouterArtifact.Provenance p = router.provenance();
    if (p == null || p.source == null || p.sourceSha256 == null) return 0;
    Matcher m = VERSION_SOURCE.matcher(p.source);
    return m.matches() ? Integer.parseInt(m.group(1)) : 0;
  }

  /** {@code v3} for a router resolved as version 3, else null. */
  static @Nullable String versionOf(RouterArtifact router) {
    int v = registryVersion(router);
    return v == 0 ? null : "v" + v;
  }

  @Override
  public PCollection<RouterArtifact> expand(PBegin input) {
    return input
        .apply("Registry", Create.of(registry()))
        .apply(
            "ReadRouter",
            fallback() == null
                ? ParDo.of(
                        new ResolveFn(
                            model(), sampler(), steps(), version(), null, emptyWhenUnpublished()))
                    .withSideInputs(model())
                : ParDo.of(new ResolveFn(model(), sampler(), steps(), version(), fallback(), false))
                    .withSideInputs(model(), fallback()))
        .setCoder(RouterArtifactCoder.of());
  }

  @Override
  public void populateDisplayData(DisplayData.Builder builder) {
    super.populateDisplayData(builder);
    builder
        .add(DisplayData.item("registry", registry()).withLabel("Router registry"))
        .add(DisplayData.item("sampler", sampler()).withLabel("Sampler"))
        .add(DisplayData.item("steps", steps()).withLabel("Sampling steps"))
        .add(
            DisplayData.item("version", version() == 0 ? "latest" : "v" + version())
                .withLabel("Version"))
        .add(
            DisplayData.item("fallback", fallback() != null)
                .withLabel("Fall back when nothing is published"))
        .add(
            DisplayData.item("emptyWhenUnpublished", emptyWhenUnpublished())
                .withLabel("No router when nothing is published"));
  }

  static final class ResolveFn extends DoFn<String, RouterArtifact> {
    private static final Logger LOG = LoggerFactory.getLogger(ResolveRouter.class);
    private final PCollectionView<ModelRef> model;
    private final String sampler;
    private final int steps;
    private final int version;
    private final @Nullable PCollectionView<RouterArtifact> fallback;
    private final boolean emptyWhenUnpublished;

    ResolveFn(
        PCollectionView<ModelRef> model,
        String sampler,
        int steps,
        int version,
        @Nullable PCollectionView<RouterArtifact> fallback,
        boolean emptyWhenUnpublished) {
      this.model = model;
      this.sampler = sampler;
      this.steps = steps;
      this.version = version;
      this.fallback = fallback;
      this.emptyWhenUnpublished = emptyWhenUnpublished;
    }

    @ProcessElement
    public void process(ProcessContext c) {
      String registryLocation = c.element();
      ModelRef ref = c.sideInput(model);
      // Router artifacts record the sampler in lower case ("ddim", "dpm-solver++(2s)");
      // FAMILY_SAMPLER is the model's.
      String samplerKey =
          (FAMILY_SAMPLER.equals(sampler) ? ref.family().sampler() : sampler)
              .toLowerCase(java.util.Locale.ROOT);
      RouterKey key = new RouterKey(ref.fingerprint(), samplerKey, steps);
      RouterRegistry registry = RouterRegistry.open(registryLocation);
      PublishedRouter published;
      if (version != 0) {
        published = registry.get(key, version);
      } else {
        java.util.Optional<PublishedRouter> latest = registry.latest(key);
        if (latest.isEmpty() && fallback != null) {
          LOG.info(
              "ResolveRouter: nothing published in {} for {} yet; using the fallback router",
              registry.root(),
              key);
          c.output(c.sideInput(fallback));
          return;
        }
        if (latest.isEmpty() && emptyWhenUnpublished) {
          LOG.info(
              "ResolveRouter: nothing published in {} for {} yet; no router", registry.root(), key);
          return;
        }
        published =
            latest.orElseThrow(
                () ->
                    new IllegalStateException(
                        "ResolveRouter: registry "
                            + registry.root()
                            + " has no router published for model "
                            + ref.uri()
                            + " (sha256 "
                            + ref.fingerprint()
                            + "), "
                            + samplerKey
                            + "-"
                            + steps
                            + ": nothing under "
                            + key.folder()
                            + "; publish one with `l2c retrain` or the retrain pipeline"));
      }
      RouterArtifact router = published.router();
      LOG.info(
          "ResolveRouter: {} {} of {} ({}), published {}",
          published.versionName(),
          version == 0 ? "(latest)" : "(pinned)",
          registry.root(),
          key,
          published.manifest().created());
      c.output(
          new RouterArtifact(
              router.modelFingerprint(),
              router.scores(),
              router.sampler(),
              router.theta(),
              new RouterArtifact.Provenance(
                  published.location(),
                  published.manifest().routerSha256(),
                  router.provenance().created,
                  router.provenance().tool,
                  router.provenance().training)));
    }
  }
}
