package org.l2cbeam.beam;

import ai.djl.Device;
import java.io.Serializable;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicInteger;
import org.l2cbeam.core.fid.FeatureExtractor;
import org.l2cbeam.core.fid.FeatureExtractors;
import org.l2cbeam.core.fid.FmnistFeatureNet;
import org.l2cbeam.core.fid.InceptionV3Fid;
import org.l2cbeam.core.io.WeightMap;
import org.l2cbeam.core.runtime.ComputeDevice;
import org.l2cbeam.core.runtime.Torch;

/**
 * A validated FID feature extractor, small enough to travel with a DoFn: its kind, weights location and the weights'
 * fingerprint. {@link #shared()} gives the network itself, loaded once per worker JVM (keyed by the fingerprint in
 * {@link SharedModels}) and shared by every DoFn instance and thread.
 */
final class FeatureExtractorRef implements Serializable {
  private static final long serialVersionUID = 1L;
  static final String SHARED_KIND = "fid-extractor";
  /** Loads done by this JVM, so tests can prove one load serves every DoFn instance. */
  private static final AtomicInteger LOADS = new AtomicInteger();

  private final String kind;
  private final String weights;
  private final String fingerprint;

  private FeatureExtractorRef(String kind, String weights, String fingerprint) {
    this.kind = kind;
    this.weights = weights;
    this.fingerprint = fingerprint;
  }

  /** Known kinds and their feature dimensions (fixed by the architecture, so known before any weights are read). */
  static int dimensionOf(String kind) {
    switch (kind) {
      case "fmnist":
        return FmnistFeatureNet.DIM;
      case "inception":
        return InceptionV3Fid.DIM;
      default:
        throw new IllegalArgumentException("unknown extractor '" + kind + "' (fmnist or inception)");
    }
  }

  static String normalizeKind(String kind) {
    return kind == null ? "" : kind.trim().toLowerCase(Locale.ROOT);
  }

  /** The default weights of {@code kind}, or null when the user must give them (inception: nothing is downloaded). */
  static String defaultWeights(String kind) {
    return "fmnist".equals(kind) ? FmnistFeatureNet.BUILTIN : null;
  }

  /**
   * Reads and checks the weights now (keys and shapes, strictly) and records their fingerprint. {@code option} names
   * the setter in error messages.
   */
  static FeatureExtractorRef resolve(String option, String kind, String weights) {
    dimensionOf(kind);
    if (weights.startsWith(FeatureExtractors.HASH_PREFIX)) {
      if (!"inception".equals(kind)) {
        throw new IllegalArgumentException(option + ": hash:SEED weights exist only for the inception extractor");
      }
      try (FeatureExtractor probe = FeatureExtractors.create(kind, weights)) {
        // parses the seed; the random network itself is cheap to rebuild on workers
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException(option + ": " + e.getMessage(), e);
      }
      return new FeatureExtractorRef(kind, weights, weights);
    }
    ModelFiles.checkExists(option, weights);
    try {
      WeightMap w = WeightMap.open(ModelFiles.localCopy(weights));
      w.checkStrict(expectedShapes(kind));
      return new FeatureExtractorRef(kind, weights, w.fingerprint());
    } catch (RuntimeException e) {
      throw new IllegalArgumentException(option + ": " + weights + " is not " + kind + " extractor weights: "
          + e.getMessage(), e);
    }
  }

  private static java.util.Map<String, long[]> expectedShapes(String kind) {
    return "fmnist".equals(kind) ? FmnistFeatureNet.expectedShapes() : InceptionV3Fid.expectedShapes();
  }

  String kind() {
    return kind;
  }

  String weights() {
    return weights;
  }

  String fingerprint() {
    return fingerprint;
  }

  int dim() {
    return dimensionOf(kind);
  }

  /** What FID results name as their extractor: the weights for fmnist, {@code inception:WEIGHTS} otherwise. */
  String description() {
    return "fmnist".equals(kind) ? weights : kind + ":" + weights;
  }

  /** The network, loaded on first use in this JVM and shared after that. */
  FeatureExtractor shared() {
    return shared(Torch.defaultDevice());
  }

  /** {@link #shared()} with the network on {@code device} (one copy per device). */
  FeatureExtractor shared(Device device) {
    return SharedModels.get(SHARED_KIND, kind + "/" + fingerprint + ComputeDevice.cacheKeySuffix(device),
        FeatureExtractor.class, () -> load(device));
  }

  /** True if this JVM holds the network already. */
  boolean isLoaded() {
    return SharedModels.isLoaded(SHARED_KIND, kind + "/" + fingerprint);
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
          "extractor weights " + weights + " changed since ComputeFID checked them: fingerprint " + actual
              + ", expected " + fingerprint);
    }
    return "fmnist".equals(kind) ? FmnistFeatureNet.fromWeights(w, device) : InceptionV3Fid.fromWeights(w, device);
  }

  @Override
  public String toString() {
    return description() + " (" + fingerprint.substring(0, Math.min(12, fingerprint.length())) + ")";
  }
}
