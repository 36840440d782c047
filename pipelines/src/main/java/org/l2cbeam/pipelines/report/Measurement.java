package org.l2cbeam.pipelines.report;

/**
 * What a benchmark's FIDs depend on besides the setting: two reports with equal measurements
 * sampled the same requests under the same conditions, so their FIDs compare set by set (a plain
 * setting of one may stand in for the same setting of the other).
 *
 * @param conditions the model batch, feature extractor, kernels and so on ({@code null}: not
 *     recorded, an older report)
 */
public record Measurement(
    String model, String referenceStats, double cfgScale, String requests, String conditions)
    implements java.io.Serializable {
  /** Why {@code other}'s FIDs cannot be compared set by set with these, or null if they can. */
  public String incomparability(Measurement other) {
    if (conditions == null || other.conditions == null)
      return "its conditions are not recorded (an older report)";
    if (!model.equals(other.model)) return "model " + other.model + " is not " + model;
    if (!referenceStats.equals(other.referenceStats)) {
      return "reference statistics " + other.referenceStats + " are not " + referenceStats;
    }
    if (cfgScale != other.cfgScale) return "CFG scale " + other.cfgScale + " is not " + cfgScale;
    if (!requests.equals(other.requests))
      return "requests '" + other.requests + "' are not '" + requests + "'";
    if (!conditions.equals(other.conditions)) {
      return "conditions '" + other.conditions + "' are not '" + conditions + "'";
    }
    return null;
  }
}
