package org.l2cbeam.pipelines.benchmark;

import java.io.Serializable;

/**
 * What one setting measured inside the pipeline: its FID and the model time of its samples (the sum of their
 * {@code computeMicros}, each sample's share of its batch's wall time; one model call runs at a time per worker, so
 * no two settings' calls overlap).
 */
record SettingOutcome(String name, double fid, long images, long computeMicros) implements Serializable {
  static SettingOutcome fid(String name, double fid) {
    return new SettingOutcome(name, fid, 0, 0);
  }

  static SettingOutcome time(String name, long images, long micros) {
    return new SettingOutcome(name, Double.NaN, images, micros);
  }

  /** Joins the FID part and the timing part of one setting. */
  SettingOutcome merge(SettingOutcome other) {
    return new SettingOutcome(
        name, Double.isNaN(fid) ? other.fid : fid, images + other.images, computeMicros + other.computeMicros);
  }
}
