package org.l2cbeam.pipelines.benchmark;

import java.io.Serializable;
import java.util.Arrays;

/**
 * What one setting measured inside the pipeline: the FID of each request set and the model time of
 * its samples (the sum of their {@code computeMicros}, each sample's share of its batch's wall
 * time; one model call runs at a time per worker, so no two settings' calls overlap). Parts arrive
 * separately (one per set's FID, one per sample's time) and are merged.
 *
 * @param fidPerSet one entry per request set, NaN until that set's FID has arrived
 */
record SettingOutcome(String name, double[] fidPerSet, long images, long computeMicros)
    implements Serializable {
  /** The FID of request set {@code set} of {@code sets}. */
  static SettingOutcome fid(String name, int set, int sets, double fid) {
    double[] fids = new double[sets];
    Arrays.fill(fids, Double.NaN);
    fids[set] = fid;
    return new SettingOutcome(name, fids, 0, 0);
  }

  static SettingOutcome time(String name, int sets, long images, long micros) {
    double[] fids = new double[sets];
    Arrays.fill(fids, Double.NaN);
    return new SettingOutcome(name, fids, images, micros);
  }

  /** Joins the parts of one setting. */
  SettingOutcome merge(SettingOutcome other) {
    double[] fids = fidPerSet.clone();
    for (int i = 0; i < fids.length; i++) {
      if (Double.isNaN(fids[i])) fids[i] = other.fidPerSet[i];
    }
    return new SettingOutcome(
        name, fids, images + other.images, computeMicros + other.computeMicros);
  }

  /**
   * Value equality (a record compares arrays by identity): Beam checks that equal encodings decode
   * to equal values.
   */
  @Override
  public boolean equals(Object o) {
    return o instanceof SettingOutcome other
        && name.equals(other.name)
        && Arrays.equals(fidPerSet, other.fidPerSet)
        && images == other.images
        && computeMicros == other.computeMicros;
  }

  @Override
  public int hashCode() {
    return 31 * (31 * name.hashCode() + Arrays.hashCode(fidPerSet))
        + Long.hashCode(images + 31 * computeMicros);
  }

  @Override
  public String toString() {
    return name + Arrays.toString(fidPerSet) + ", " + images + " images, " + computeMicros + " µs";
  }

  /** True when every set's FID has arrived and at least one sample was timed. */
  boolean isComplete() {
    return images > 0 && Arrays.stream(fidPerSet).noneMatch(Double::isNaN);
  }
}
