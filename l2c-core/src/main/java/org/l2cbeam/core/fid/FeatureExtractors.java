package org.l2cbeam.core.fid;

import ai.djl.Device;
import java.util.Locale;
import org.l2cbeam.core.assets.BuiltinAssets;
import org.l2cbeam.core.runtime.Torch;

/**
 * Builds a {@link FeatureExtractor} from command-line style names: {@code inception} (weights: the
 * user's {@code pt_inception-2015-12-05-6726825d.pth}, or {@code hash:SEED} for the deterministic
 * random network used by tests and benchmarks) and {@code fmnist} (weights default to {@code
 * builtin:fmnist-features}).
 */
public final class FeatureExtractors {
  public static final String HASH_PREFIX = "hash:";

  private FeatureExtractors() {}

  public static FeatureExtractor create(String kind, String weights) {
    return create(kind, weights, Torch.defaultDevice());
  }

  /** {@link #create(String, String)} with the network's weights on {@code device}. */
  public static FeatureExtractor create(String kind, String weights, Device device) {
    switch (kind.toLowerCase(Locale.ROOT)) {
      case "inception":
        if (weights == null || weights.isBlank()) {
          throw new IllegalArgumentException(
              "--weights is required for the inception extractor: pytorch-fid's "
                  + "pt_inception-2015-12-05-6726825d.pth (nothing is downloaded), or hash:SEED for random weights");
        }
        if (weights.startsWith(HASH_PREFIX)) {
          return InceptionV3Fid.withHashWeights(parseSeed(weights), device);
        }
        return InceptionV3Fid.load(BuiltinAssets.resolve(weights), device);
      case "fmnist":
        String file = weights == null || weights.isBlank() ? FmnistFeatureNet.BUILTIN : weights;
        return FmnistFeatureNet.load(BuiltinAssets.resolve(file), device);
      default:
        throw new IllegalArgumentException(
            "unknown --extractor '" + kind + "' (inception or fmnist)");
    }
  }

  private static long parseSeed(String weights) {
    try {
      return Long.parseLong(weights.substring(HASH_PREFIX.length()));
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(
          "--weights " + weights + ": hash:SEED needs an integer seed");
    }
  }
}
