package org.l2cbeam.pipelines.benchmark;

import java.io.Serializable;
import java.util.Locale;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * One sampler configuration of a benchmark, fixed when the pipeline is built: DDIM with {@code steps} steps, plain,
 * or with the router of that step count at the θ that removes {@code macsRemoved} of the run's MACs (θ is chosen at
 * run time, once the router exists).
 *
 * @param name file-safe id, used for {@code samples-<name>.png}
 * @param baseline the plain setting that speedup and MACs removed are measured against
 */
record BenchmarkSetting(String name, int steps, @Nullable Double macsRemoved, String baseline)
    implements Serializable {

  static BenchmarkSetting plain(int steps, String baseline) {
    return new BenchmarkSetting("ddim" + steps, steps, null, baseline);
  }

  static BenchmarkSetting cached(int steps, double macsRemoved) {
    String name = String.format(Locale.ROOT, "ddim%d-l2c%02d", steps, Math.round(100 * macsRemoved));
    return new BenchmarkSetting(name, steps, macsRemoved, "ddim" + steps);
  }

  boolean isCached() {
    return macsRemoved != null;
  }
}
