package org.l2cbeam.pipelines.demo;

import org.l2cbeam.core.router.CacheSchedule;

/**
 * One sampler configuration of the demo: DDIM with {@code steps} steps, plain ({@code schedule == null}) or with a
 * router's static cache schedule at threshold {@code theta}.
 *
 * @param name file-safe id, used for {@code samples-<name>.png}
 * @param label what tables and plots show
 * @param baseline the plain setting that speedup and MACs removed are measured against
 * @param removedTarget for a cached setting, the fraction of MACs its θ was chosen to remove
 */
record SamplingSetting(
    String name,
    String label,
    int steps,
    CacheSchedule schedule,
    Double theta,
    String baseline,
    Double removedTarget) {

  static SamplingSetting plain(int steps, String baseline) {
    return new SamplingSetting("ddim" + steps, "DDIM-" + steps, steps, null, null, baseline, null);
  }

  boolean isCached() {
    return schedule != null;
  }
}
