package org.l2cbeam.pipelines.report;

import java.util.Objects;

/**
 * What one benchmark setting measured: one sampler configuration (DDIM with N steps, with or without a router at a
 * threshold θ) run over the same requests as every other setting of the report.
 *
 * @param name file-safe identifier, used for {@code samples-<name>.png} (e.g. {@code ddim20-l2c-t0.35})
 * @param label what a reader sees in tables and plots (e.g. {@code DDIM-20 + L2C θ=0.35})
 * @param method {@link #PLAIN} or {@link #L2C}
 * @param steps sampling steps (NFE; a guided step counts once although its batch is doubled)
 * @param theta the router threshold, or {@code null} for a plain sampler
 * @param macsPerImage multiply-accumulates spent per image over the whole sampling run, CFG doubling included
 * @param secondsPerImage wall time per image, measured in the same run as every other setting
 * @param fid FID of the setting's samples against the report's reference statistics
 * @param samples number of images behind {@code fid}
 * @param baseline name of the setting that speedup and MACs removed are relative to (itself for a baseline)
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
    String baseline) {
  public static final String PLAIN = "ddim";
  public static final String L2C = "l2c";

  public SettingResult {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(label, "label");
    Objects.requireNonNull(baseline, "baseline");
    if (!name.matches("[A-Za-z0-9._-]+")) {
      throw new IllegalArgumentException("setting name '" + name + "' must be file-safe: letters, digits, . _ -");
    }
    if (!PLAIN.equals(method) && !L2C.equals(method)) {
      throw new IllegalArgumentException("setting '" + name + "': method must be 'ddim' or 'l2c', not " + method);
    }
    if (L2C.equals(method) != (theta != null)) {
      throw new IllegalArgumentException("setting '" + name + "': a router threshold θ belongs to l2c settings only");
    }
    if (steps <= 0 || samples <= 0 || !(secondsPerImage > 0) || !(macsPerImage > 0)) {
      throw new IllegalArgumentException(
          "setting '" + name + "': steps, samples, seconds per image and MACs per image must be positive");
    }
    if (!Double.isFinite(fid)) {
      throw new IllegalArgumentException("setting '" + name + "': FID is " + fid);
    }
  }

  public boolean isCached() {
    return L2C.equals(method);
  }
}
