package org.l2cbeam.pipelines.benchmark;

import java.io.Serializable;
import java.util.Locale;
import org.checkerframework.checker.nullness.qual.Nullable;
import org.l2cbeam.core.router.ModelFamily;

/**
 * One sampler configuration of a benchmark, fixed when the pipeline is built: the model family's
 * sampler (DDIM for a DiT, DPM-Solver++(2S) for a U-ViT) with {@code steps} steps (for DPM-Solver,
 * network evaluations), plain, or cached by {@code method} at the schedule that removes {@code
 * macsRemoved} of the run's MACs (for L2C, θ is chosen at run time, once the router exists).
 *
 * @param name file-safe id, used for {@code samples-<name>.png}: the sampler's tag and the steps,
 *     e.g. {@code ddim20}, {@code ddim20-l2c25}, {@code dpm20-l2c25}
 * @param baseline the plain setting that speedup and MACs removed are measured against
 * @param partner for a cached setting, the plain setting with (about) the same MACs, sampled on the
 *     same requests: the paired comparison; null for a plain setting
 */
record BenchmarkSetting(
    String name,
    SettingMethod method,
    int steps,
    @Nullable Double macsRemoved,
    String baseline,
    @Nullable String partner)
    implements Serializable {

  static BenchmarkSetting plain(ModelFamily family, int steps, String baseline) {
    return new BenchmarkSetting(
        plainName(family, steps), SettingMethod.PLAIN, steps, null, baseline, null);
  }

  /**
   * Cached with {@code method} at {@code macsRemoved}; its partner is the plain sampler with {@link
   * #equalCostSteps} steps.
   */
  static BenchmarkSetting cached(
      ModelFamily family, SettingMethod method, int steps, double macsRemoved) {
    String name =
        String.format(
            Locale.ROOT,
            "%s%d-%s%02d",
            samplerTag(family),
            steps,
            method.nameTag(),
            Math.round(100 * macsRemoved));
    return new BenchmarkSetting(
        name,
        method,
        steps,
        macsRemoved,
        plainName(family, steps),
        plainName(family, equalCostSteps(family, steps, macsRemoved)));
  }

  /**
   * Plain DDIM steps with the MACs of {@code steps} steps less {@code macsRemoved}: {@code round(N
   * (1 − r))}, since every step costs about the same (the uncached part of a forward is small).
   */
  static int equalCostSteps(int steps, double macsRemoved) {
    return Math.max(1, (int) Math.round(steps * (1 - macsRemoved)));
  }

  /**
   * {@link #equalCostSteps(int, double)} for the family's sampler: DPM-Solver++(2S) evaluates the
   * network twice per step, so its count is rounded to the nearest even number (at least 2)
   * instead.
   */
  static int equalCostSteps(ModelFamily family, int steps, double macsRemoved) {
    if (family == ModelFamily.DIT) return equalCostSteps(steps, macsRemoved);
    return Math.max(2, 2 * (int) Math.round(steps * (1 - macsRemoved) / 2));
  }

  /** The plain setting's name, e.g. {@code ddim20} (DiT) or {@code dpm20} (U-ViT). */
  static String plainName(ModelFamily family, int steps) {
    return samplerTag(family) + steps;
  }

  /**
   * What names, files and transform names call the family's sampler: {@code ddim} or {@code dpm}.
   */
  static String samplerTag(ModelFamily family) {
    return family == ModelFamily.DIT ? "ddim" : "dpm";
  }

  boolean isCached() {
    return method != SettingMethod.PLAIN;
  }
}
