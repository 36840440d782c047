package org.l2cbeam.beam;

import static org.l2cbeam.beam.ArgumentChecks.checkArgument;

import java.util.Arrays;
import java.util.Iterator;
import java.util.Locale;
import java.util.Map;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.View;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionView;
import org.checkerframework.checker.nullness.qual.Nullable;
import org.l2cbeam.core.router.ModelFamily;
import org.l2cbeam.core.router.RouterArtifact;
import org.l2cbeam.registry.RouterRegistry;
import org.l2cbeam.registry.WarmStartOrigin;

/**
 * The router a warm-started {@link TrainRouter} begins from ({@link
 * TrainRouter#withInitialRouter}): how it reaches the trainers, the check that it fits the model
 * being trained, and how the trained router records it.
 *
 * <p>Whatever form it was given in (a router file, a {@code registry+} location, a side input), it
 * reaches the trainers as a side input of at most one router: none means that the registry had
 * nothing published yet, and the run starts from the seed's routers, exactly as a run without a
 * warm start (same bytes), so the first scheduled run of a new model needs no special case.
 */
final class WarmStart {
  /**
   * The key of the trained router's {@code provenance.training} that names its start point; absent:
   * the seed's.
   */
  static final String PROVENANCE_KEY = WarmStartOrigin.PROVENANCE_KEY;

  static final String OPTION = "TrainRouter.withInitialRouter";

  private WarmStart() {}

  /**
   * The side input the trainers read: the router of {@code spec}'s file, registry location or side
   * input, for the model of {@code spec}. A file is read now, so a missing or corrupt one, or one
   * for another step count, fails while the pipeline is built.
   */
  static PCollectionView<Iterable<RouterArtifact>> sideInput(Pipeline p, TrainRouter spec) {
    PCollection<RouterArtifact> router;
    String location = spec.initialRouterLocation();
    if (spec.initialRouterView() != null) {
      PCollectionView<RouterArtifact> view = spec.initialRouterView();
      router =
          p.apply("InitialRouterStart", Create.of(0))
              .apply("InitialRouter", ParDo.of(new FromViewFn(view)).withSideInputs(view));
    } else if (ResolveRouter.isRegistryLocation(location)) {
      ResolveRouter resolve =
          ResolveRouter.fromLocation(OPTION, location, spec.model())
              .withSampler(ResolveRouter.FAMILY_SAMPLER)
              .withSteps(spec.samplingSteps());
      router = p.apply("InitialRouter", resolve.version() == 0 ? resolve.orElseNothing() : resolve);
    } else {
      RouterArtifact read = Routers.read(OPTION, location);
      checkArgument(
          read.steps() == spec.samplingSteps(),
          "%s: router %s was trained for %s-%s, but this training is for %s sampling steps (withSteps)",
          OPTION,
          location,
          read.sampler(),
          read.steps(),
          spec.samplingSteps());
      // The file it came from is what the trained router's provenance names as its start point.
      RouterArtifact.Provenance was = read.provenance();
      RouterArtifact named =
          new RouterArtifact(
              read.modelFingerprint(),
              read.scores(),
              read.sampler(),
              read.theta(),
              new RouterArtifact.Provenance(
                  location,
                  RouterRegistry.routerSha256(read),
                  was.created,
                  was.tool,
                  was.training));
      router = p.apply("InitialRouter", Create.of(named).withCoder(RouterArtifactCoder.of()));
    }
    return router.setCoder(RouterArtifactCoder.of()).apply("InitialRouterView", View.asIterable());
  }

  /**
   * The side input's router, or null when there is none (nothing published yet: start from the
   * seed).
   */
  static @Nullable RouterArtifact only(Iterable<RouterArtifact> routers) {
    Iterator<RouterArtifact> it = routers.iterator();
    if (!it.hasNext()) return null;
    RouterArtifact first = it.next();
    if (it.hasNext()) {
      throw new IllegalArgumentException(
          OPTION + ": the initial router side input holds more than one router");
    }
    return first;
  }

  /**
   * Fails, naming both, unless {@code router} was trained for {@code model}'s weights, its family's
   * sampler and {@code steps}: a router's logits mean nothing for other weights or another step
   * grid. A router that does not say which weights it was trained for (an imported official router)
   * is taken on its sampler and steps alone.
   */
  static void checkFits(RouterArtifact router, ModelRef model, ModelFamily family, int steps) {
    String wanted = family.sampler().toLowerCase(Locale.ROOT) + "-" + steps;
    String trained = router.sampler().toLowerCase(Locale.ROOT) + "-" + router.steps();
    boolean modelKnown = !RouterArtifact.UNKNOWN_FINGERPRINT.equals(router.modelFingerprint());
    if ((modelKnown && !router.modelFingerprint().equals(model.fingerprint()))
        || !trained.equals(wanted)) {
      throw new IllegalArgumentException(
          OPTION
              + ": router "
              + source(router)
              + " was trained for model sha256 "
              + router.modelFingerprint()
              + ", "
              + trained
              + ", but this training is for model "
              + model.uri()
              + " (sha256 "
              + model.fingerprint()
              + "), "
              + wanted
              + ": a router only fits the weights, sampler and step count it was trained for");
    }
  }

  /**
   * What the trained router's provenance records about its start point: where it came from, its
   * registry version (null when it did not come from a registry) and the sha256 of its JSON, which
   * the registry's manifest repeats.
   */
  static Map<String, Object> provenance(RouterArtifact router) {
    return new WarmStartOrigin(
            source(router), ResolveRouter.registryVersion(router), sha256(router))
        .toMap();
  }

  /**
   * The start point's identity for the checkpoint directory, so that runs from different start
   * points never resume each other's checkpoints: a hash of the logits alone, which are all a run
   * takes from the router.
   */
  static String startPoint(RouterArtifact router) {
    return ModelFiles.sha256(Arrays.deepToString(router.scores().logits())).substring(0, 20);
  }

  private static String source(RouterArtifact router) {
    RouterArtifact.Provenance p = router.provenance();
    return p != null && p.sourceSha256 != null && p.source != null ? p.source : "(side input)";
  }

  /**
   * The stored router's sha256 when it was read from a file or a registry, else that of the JSON
   * l2c writes for it.
   */
  private static String sha256(RouterArtifact router) {
    RouterArtifact.Provenance p = router.provenance();
    return p != null && p.sourceSha256 != null
        ? p.sourceSha256
        : RouterRegistry.routerSha256(router);
  }

  /** Emits the router of a singleton side input as the single element of a collection. */
  static final class FromViewFn extends DoFn<Integer, RouterArtifact> {
    private final PCollectionView<RouterArtifact> view;

    FromViewFn(PCollectionView<RouterArtifact> view) {
      this.view = view;
    }

    @ProcessElement
    public void process(ProcessContext c) {
      c.output(c.sideInput(view));
    }
  }
}
