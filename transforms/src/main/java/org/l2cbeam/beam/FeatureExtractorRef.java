package org.l2cbeam.beam;

import ai.djl.Device;
import java.io.Serializable;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicInteger;
import org.checkerframework.checker.nullness.qual.Nullable;
import org.l2cbeam.core.fid.FeatureExtractor;
import org.l2cbeam.core.fid.FeatureExtractors;
import org.l2cbeam.core.fid.FmnistFeatureNet;
import org.l2cbeam.core.fid.InceptionV3Fid;
import org.l2cbeam.core.io.WeightMap;
import org.l2cbeam.core.runtime.ComputeDevice;
import org.l2cbeam.core.runtime.Torch;

/**
 * An FID feature extractor, small enough to travel with a DoFn: its kind, weights location and,
 * once {@link #resolve()}d (its weights read and checked), the weights' fingerprint. A transform
 * resolves it when the pipeline is built, or leaves that to the workers ({@code
 * ComputeFID.withoutValidation()}). {@link #shared()} gives the network itself, loaded once per
 * worker JVM (keyed by the fingerprint in {@link SharedModels}) and shared by every DoFn instance
 * and thread.
 */
final class FeatureExtractorRef implements Serializable {
  private static final long serialVersionUID = 1L;
  static final String SHARED_KIND = "fid-extractor";

  /** Loads done by this JVM, so tests can prove one load serves every DoFn instance. */
  private static final AtomicInteger LOADS = new AtomicInteger();

  /** The setter errors name, e.g. {@code ComputeFID.withWeights}. */
  private final String option;

  private final String kind;
  private final String weights;

  /** Null until resolved. */
  private final @Nullable String fingerprint;

  private FeatureExtractorRef(
      String option, String kind, String weights, @Nullable String fingerprint) {
    this.option = option;
    this.kind = kind;
    this.weights = weights;
    this.fingerprint = fingerprint;
  }

  /**
   * Known kinds and their feature dimensions (fixed by the architecture, so known before any
   * weights are read).
   */
  static int dimensionOf(String kind) {
    switch (kind) {
      case "fmnist":
        return FmnistFeatureNet.DIM;
      case "inception":
        return InceptionV3Fid.DIM;
      default:
        throw new IllegalArgumentException(
            "unknown extractor '" + kind + "' (fmnist or inception)");
    }
  }

  static String normalizeKind(String kind) {
    return kind == null ? "" : kind.trim().toLowerCase(Locale.ROOT);
  }

  /**
   * The default weights of {@code kind}, or null when the user must give them (inception: nothing
   * is downloaded).
   */
  static String defaultWeights(String kind) {
    return "fmnist".equals(kind) ? FmnistFeatureNet.BUILTIN : null;
  }

  /**
   * The extractor of {@code kind} with the weights at {@code weights}, not read yet. {@code option}
   * names the setter in error messages.
   */
  static FeatureExtractorRef at(String option, String kind, String weights) {
    dimensionOf(kind);
    return new FeatureExtractorRef(option, kind, weights, null);
  }

  /** Reads and checks the weights at {@code weights} now: {@link #at} then {@link #resolve()}. */
  static FeatureExtractorRef resolve(String option, String kind, String weights) {
    return at(option, kind, weights).resolve();
  }

  boolean isResolved() {
    return fingerprint != null;
  }

  /**
   * This extractor with its weights read and checked (keys and shapes, strictly) and their
   * fingerprint recorded; errors name the setter and the file.
   */
  FeatureExtractorRef resolve() {
    if (isResolved()) return this;
    if (weights.startsWith(FeatureExtractors.HASH_PREFIX)) {
      if (!"inception".equals(kind)) {
        throw new IllegalArgumentException(
            option + ": hash:SEED weights exist only for the inception extractor");
      }
      try (FeatureExtractor probe = FeatureExtractors.create(kind, weights)) {
        // parses the seed; the random network itself is cheap to rebuild on workers
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException(option + ": " + e.getMessage(), e);
      }
      return new FeatureExtractorRef(option, kind, weights, weights);
    }
    ModelFiles.checkExists(option, weights);
    try {
      WeightMap w = WeightMap.open(ModelFiles.localCopy(weights));
      w.checkStrict(expectedShapes(kind));
      return new FeatureExtractorRef(option, kind, weights, w.fingerprint());
    } catch (RuntimeException e) {
      throw new IllegalArgumentException(
          option + ": " + weights + " is not " + kind + " extractor weights: " + e.getMessage(), e);
    }
  }

  private static java.util.Map<String, long[]> expectedShapes(String kind) {
    return "fmnist".equals(kind)
        ? FmnistFeatureNet.expectedShapes()
        : InceptionV3Fid.expectedShapes();
  }

  String kind() {
    return kind;
  }

  String weights() {
    return weights;
  }

  String fingerprint() {
    return checkResolved();
  }

  private String checkResolved() {
    if (fingerprint == null) {
      throw new IllegalStateException("extractor weights " + weights + " were not read before use");
    }
    return fingerprint;
  }

  int dim() {
    return dimensionOf(kind);
  }

  /**
   * What FID results name as their extractor: the weights for fmnist, {@code inception:WEIGHTS}
   * otherwise.
   */
  String description() {
    return "fmnist".equals(kind) ? weights : kind + ":" + weights;
  }

  /** The network, loaded on first use in this JVM and shared after that. */
  FeatureExtractor shared() {
    return shared(Torch.defaultDevice());
  }

  /** {@link #shared()} with the network on {@code device} (one copy per device). */
  FeatureExtractor shared(Device device) {
    return SharedModels.get(
        SHARED_KIND,
        kind + "/" + checkResolved() + ComputeDevice.cacheKeySuffix(device),
        FeatureExtractor.class,
        () -> load(device));
  }

  /** True if this JVM holds the network already. */
  boolean isLoaded() {
    return SharedModels.isLoaded(SHARED_KIND, kind + "/" + checkResolved());
  }

  static int loadsInThisJvm() {
    return LOADS.get();
  }

  private FeatureExtractor load(Device device) {
    LOADS.incrementAndGet();
    if (weights.startsWith(FeatureExtractors.HASH_PREFIX)) {
      return FeatureExtractors.create(kind, weights, device);
    }
    Path local = ModelFiles.localCopy(weights);
    WeightMap w = WeightMap.open(local);
    String actual = w.fingerprint();
    if (!actual.equals(fingerprint)) {
      throw new IllegalStateException(
          "extractor weights "
              + weights
              + " changed since ComputeFID checked them: fingerprint "
              + actual
              + ", expected "
              + fingerprint);
    }
    return "fmnist".equals(kind)
        ? FmnistFeatureNet.fromWeights(w, device)
        : InceptionV3Fid.fromWeights(w, device);
  }

  @Override
  public String toString() {
    return fingerprint == null
        ? description() + " (not read yet)"
        : description() + " (" + fingerprint.substring(0, Math.min(12, fingerprint.length())) + ")";
  }
}
