package org.l2cbeam.beam;

import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The id every {@link GeneratedSample} carries for the schedule that made it, which {@link
 * FidResult} reads back: {@code ddim20} for the plain sampler, {@code
 * ddim20-l2c-theta0.754-macs0.252-3f9a02c1} for a cached one (θ, the fraction of the sampling run's
 * MACs the schedule removes, and a hash of the mask itself), followed by {@code @v3} when the
 * router was resolved from a registry, so that results name the router version that made them.
 */
final class ScheduleId {
  private static final Pattern CACHED =
      Pattern.compile("-l2c-theta([^-]+)-macs([0-9.]+)-[0-9a-f]+(@v[0-9]+)?$");

  private ScheduleId() {}

  static String cached(String plainId, double theta, double macsRemoved, String maskHash) {
    return String.format(
        Locale.ROOT, "%s-l2c-theta%s-macs%.3f-%s", plainId, theta, macsRemoved, maskHash);
  }

  /** {@code cachedId} of a router resolved from a registry as {@code version} ({@code v3}). */
  static String fromRegistryVersion(String cachedId, String version) {
    return cachedId + "@" + version;
  }

  /** θ of a cached id; NaN for a plain one (or an id of another form). */
  static double theta(String id) {
    Matcher m = CACHED.matcher(id);
    return m.find() ? Double.parseDouble(m.group(1)) : Double.NaN;
  }

  /** The fraction of MACs removed: 0 for a plain id, NaN for an id of another form. */
  static double macsRemoved(String id) {
    Matcher m = CACHED.matcher(id);
    if (m.find()) return Double.parseDouble(m.group(2));
    return id.contains("-l2c-") || id.isEmpty() ? Double.NaN : 0;
  }
}
