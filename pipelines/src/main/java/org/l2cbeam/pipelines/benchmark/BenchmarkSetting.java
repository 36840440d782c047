package org.l2cbeam.pipelines.benchmark;

import java.io.Serializable;
import java.util.Locale;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * One sampler configuration of a benchmark, fixed when the pipeline is built: DDIM with {@code steps} steps, plain,
 * or cached by {@code method} at the schedule that removes {@code macsRemoved} of the run's MACs (for L2C, θ is chosen
 * at run time, once the router exists).
 *
 * @param name file-safe id, used for {@code samples-<name>.png}
 * @param baseline the plain setting that speedup and MACs removed are measured against
 * @param partner for a cached setting, the plain setting with (about) the same MACs, sampled on the same requests:
 *     the paired comparison; null for a plain setting
 */
record BenchmarkSetting(
    String name, SettingMethod method, int steps, @Nullable Double macsRemoved, String baseline,
    @Nullable String partner)
    implements Serializable {

  static BenchmarkSetting plain(int steps, String baseline) {
    return new BenchmarkSetting(plainName(steps), SettingMethod.PLAIN, steps, null, baseline, null);
  }

  /**
   * Cached with {@code method} at {@code macsRemoved}; its partner is plain DDIM with {@link #equalCostSteps} steps.
   */
  static BenchmarkSetting cached(SettingMethod method, int steps, double macsRemoved) {
    String name = String.format(Locale.ROOT, "ddim%d-%s%02d", steps, method.nameTag(), Math.round(100 * macsRemoved));
    return new BenchmarkSetting(
        name, method, steps, macsRemoved, plainName(steps), plainName(equalCostSteps(steps, macsRemoved)));
  }

  /**
   * Plain DDIM steps with the MACs of {@code steps} steps less {@code macsRemoved}: {@code round(N (1 − r))}, since
   * every step costs about the same (the uncached part of a forward is small).
   */
  static int equalCostSteps(int steps, double macsRemoved) {
    return Math.max(1, (int) Math.round(steps * (1 - macsRemoved)));
  }

  static String plainName(int steps) {
    return "ddim" + steps;
  }

  boolean isCached() {
    return method != SettingMethod.PLAIN;
  }
}
