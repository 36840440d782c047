package org.l2cbeam.registry;

import java.util.Locale;
import java.util.regex.Pattern;
import org.l2cbeam.core.router.RouterArtifact;

/**
 * What a router is for, and so where its versions live in a registry: the model's weights (their
 * sha256, as {@code LoadModel} and router training compute it), the sampler and the sampling step
 * count. A router is only valid for exactly these, so each key has its own versions and its own
 * latest pointer: {@code <model-sha256>/<sampler>-<steps>/}.
 */
public record RouterKey(String modelSha256, String sampler, int steps) {
  private static final Pattern SHA256 = Pattern.compile("[0-9a-f]{64}");

  /** Lower-case sampler names as routers record them: {@code ddim}, {@code dpm-solver++(2s)}. */
  private static final Pattern SAMPLER = Pattern.compile("[a-z][a-z0-9+()._-]*");

  public RouterKey {
    if (modelSha256 == null || !SHA256.matcher(modelSha256).matches()) {
      throw new IllegalArgumentException(
          "router registry: the model fingerprint must be a sha256 (64 lowercase hex digits), got '"
              + modelSha256
              + "'"
              + (RouterArtifact.UNKNOWN_FINGERPRINT.equals(modelSha256)
                  ? ": an imported router does not say which weights it was trained for, so it cannot be versioned"
                      + " per model; train one with l2c router train or TrainRouter"
                  : ""));
    }
    if (sampler == null || !SAMPLER.matcher(sampler).matches()) {
      throw new IllegalArgumentException(
          "router registry: the sampler must be a lowercase name, got '" + sampler + "'");
    }
    if (steps <= 0) {
      throw new IllegalArgumentException(
          "router registry: the sampling step count must be positive, got " + steps);
    }
  }

  /** The key of the model, sampler and step count {@code router} was trained for. */
  public static RouterKey of(RouterArtifact router) {
    return new RouterKey(
        router.modelFingerprint(), router.sampler().toLowerCase(Locale.ROOT), router.steps());
  }

  /** The key's folder inside the registry, ending in {@code /}. */
  public String folder() {
    return modelSha256 + "/" + sampler + "-" + steps + "/";
  }

  /** {@code v3/router.json} and the like, inside {@link #folder()}. */
  String versionObject(int version, String name) {
    return folder() + "v" + version + "/" + name;
  }

  String latestObject() {
    return folder() + "latest.json";
  }

  @Override
  public String toString() {
    return "model " + modelSha256.substring(0, 12) + "…, " + sampler + "-" + steps;
  }
}
