package org.l2cbeam.pipelines.report;

import java.util.List;
import java.util.Objects;

/**
 * What one benchmark setting measured: one sampler configuration (DDIM with N steps, plain, with a
 * learned router at a threshold θ, or with a non-learned schedule) run over the same requests as
 * every other setting of the report.
 *
 * @param name file-safe identifier, used for {@code samples-<name>.png} (e.g. {@code ddim20-l2c25})
 * @param label what a reader sees in tables and plots (e.g. {@code DDIM-20 + L2C θ=0.35})
 * @param method {@link #PLAIN}, {@link #L2C}, {@link #SAME_UNITS} or {@link #WHOLE_STEPS}
 * @param steps sampling steps (NFE; a guided step counts once although its batch is doubled)
 * @param theta the router threshold of an L2C setting, else {@code null}
 * @param macsPerImage multiply-accumulates spent per image over the whole sampling run, CFG
 *     doubling included
 * @param secondsPerImage wall time per image, measured in the same run as every other setting
 * @param fid FID of the setting's samples against the report's reference statistics: the mean over
 *     the request sets
 * @param samples images behind each FID (the requests of one set)
 * @param baseline name of the setting that speedup and MACs removed are relative to (itself for a
 *     baseline)
 * @param fidPerSet the FID of each request set, in set order (the same sets for every setting of
 *     the report); one entry when the requests were not repeated
 * @param pairedWith for a cached setting, the plain setting with the same MACs whose per-set FIDs
 *     it is compared with set by set; else {@code null}
 */
public record SettingResult(
    String name,
    String label,
    String method,
    int steps,
    Double theta,
    double macsPerImage,
    double secondsPerImage,
    double fid,
    int samples,
    String baseline,
    List<Double> fidPerSet,
    String pairedWith) {
  public static final String PLAIN = "ddim";
  public static final String L2C = "l2c";

  /** Non-learned: the same units reused at every cache step. */
  public static final String SAME_UNITS = "same-units";

  /** Non-learned: every unit reused at a fixed set of cache steps. */
  public static final String WHOLE_STEPS = "whole-steps";

  private static final List<String> METHODS = List.of(PLAIN, L2C, SAME_UNITS, WHOLE_STEPS);

  public SettingResult {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(label, "label");
    Objects.requireNonNull(baseline, "baseline");
    if (!name.matches("[A-Za-z0-9._-]+")) {
      throw new IllegalArgumentException(
          "setting name '" + name + "' must be file-safe: letters, digits, . _ -");
    }
    if (!METHODS.contains(method)) {
      throw new IllegalArgumentException(
          "setting '" + name + "': method must be one of " + METHODS + ", not " + method);
    }
    if (L2C.equals(method) != (theta != null)) {
      throw new IllegalArgumentException(
          "setting '" + name + "': a router threshold θ belongs to l2c settings only");
    }
    if (steps <= 0 || samples <= 0 || !(secondsPerImage > 0) || !(macsPerImage > 0)) {
      throw new IllegalArgumentException(
          "setting '"
              + name
              + "': steps, samples, seconds per image and MACs per image must be positive");
    }
    if (!Double.isFinite(fid)) {
      throw new IllegalArgumentException("setting '" + name + "': FID is " + fid);
    }
    // Reports written before request sets existed have one FID per setting.
    fidPerSet = fidPerSet == null ? List.of(fid) : List.copyOf(fidPerSet);
    if (fidPerSet.isEmpty() || fidPerSet.stream().anyMatch(f -> f == null || !Double.isFinite(f))) {
      throw new IllegalArgumentException(
          "setting '" + name + "': every request set needs a finite FID, got " + fidPerSet);
    }
    if (PLAIN.equals(method) && pairedWith != null) {
      throw new IllegalArgumentException(
          "setting '" + name + "': a plain setting is not paired with another");
    }
  }

  /** A setting measured on one request set, compared by latency only (no pairing). */
  public SettingResult(
      String name,
      String label,
      String method,
      int steps,
      Double theta,
      double macsPerImage,
      double secondsPerImage,
      double fid,
      int samples,
      String baseline) {
    this(
        name,
        label,
        method,
        steps,
        theta,
        macsPerImage,
        secondsPerImage,
        fid,
        samples,
        baseline,
        null,
        null);
  }

  /** True for every cached method, learned or not. */
  public boolean isCached() {
    return !PLAIN.equals(method);
  }

  /** True for the learned router. */
  public boolean isLearned() {
    return L2C.equals(method);
  }

  /** The request sets behind {@link #fid}. */
  public int requestSets() {
    return fidPerSet.size();
  }

  /** The FID as mean ± standard error over the request sets. */
  public Estimate fidEstimate() {
    return Estimate.of(fidPerSet);
  }
}
