package org.l2cbeam.pipelines.benchmark;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.l2cbeam.core.router.ModelFamily;

/**
 * Which settings a benchmark samples, from its options. The sampler is the model family's (DDIM for
 * a DiT, DPM-Solver++(2S) for a U-ViT), and setting names say which ({@code ddim20}, {@code
 * dpm20}). For each routed step count N: the plain sampler at N (the baseline) and cached by each
 * method (the learned router, the non-learned schedules) at each MAC budget. Then, for each routed
 * step count and budget, the plain sampler with as many fewer steps as the budget saves, round(N·(1
 * − r)) (for DPM-Solver, to an even count): every step costs about the same (the uncached part is
 * small), so that is the equal-cost comparison the paper makes, and it is each cached setting's
 * partner for the paired difference. Then any extra plain step counts, for the frontier.
 */
final class BenchmarkPlan {
  private BenchmarkPlan() {}

  /** A DiT's plan with the learned router only (the method of the paper). */
  static List<BenchmarkSetting> settings(
      int[] routedSteps, double[] macsRemoved, int[] extraPlainSteps) {
    return settings(
        ModelFamily.DIT, routedSteps, macsRemoved, extraPlainSteps, List.of(SettingMethod.L2C));
  }

  static List<BenchmarkSetting> settings(
      ModelFamily family,
      int[] routedSteps,
      double[] macsRemoved,
      int[] extraPlainSteps,
      List<SettingMethod> methods) {
    List<BenchmarkSetting> settings = new ArrayList<>();
    List<Integer> plainSteps = new ArrayList<>();
    for (int steps : routedSteps) {
      settings.add(
          BenchmarkSetting.plain(family, steps, BenchmarkSetting.plainName(family, steps)));
      plainSteps.add(steps);
      for (SettingMethod method : methods) {
        for (double r : macsRemoved)
          settings.add(BenchmarkSetting.cached(family, method, steps, r));
      }
    }
    for (int steps : routedSteps) {
      for (double r : macsRemoved) {
        int s = BenchmarkSetting.equalCostSteps(family, steps, r);
        if (!plainSteps.contains(s)) {
          plainSteps.add(s);
          settings.add(
              BenchmarkSetting.plain(family, s, BenchmarkSetting.plainName(family, steps)));
        }
      }
    }
    String mainBaseline = BenchmarkSetting.plainName(family, routedSteps[0]);
    for (int s : extraPlainSteps) {
      if (!plainSteps.contains(s)) {
        plainSteps.add(s);
        settings.add(BenchmarkSetting.plain(family, s, mainBaseline));
      }
    }
    return settings;
  }

  static int[] parseSteps(String option, String list, boolean allowEmpty) {
    if (list == null || list.isBlank()) {
      if (allowEmpty) return new int[0];
      throw new IllegalArgumentException(option + ": give at least one step count");
    }
    try {
      int[] steps =
          Arrays.stream(list.split(",")).map(String::trim).mapToInt(Integer::parseInt).toArray();
      for (int s : steps) {
        if (s < 1)
          throw new IllegalArgumentException(option + ": step counts must be positive, got " + s);
      }
      if (Arrays.stream(steps).distinct().count() != steps.length) {
        throw new IllegalArgumentException(option + ": '" + list + "' repeats a step count");
      }
      return steps;
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(
          option + ": '" + list + "' is not a comma-separated list of integers", e);
    }
  }

  static double[] parseFractions(String option, String list) {
    if (list == null || list.isBlank()) return new double[0];
    try {
      double[] f =
          Arrays.stream(list.split(","))
              .map(String::trim)
              .mapToDouble(Double::parseDouble)
              .toArray();
      for (double x : f) {
        if (!(x > 0 && x < 1))
          throw new IllegalArgumentException(
              option + ": each fraction must be in (0, 1), got " + x);
      }
      return f;
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(
          option + ": '" + list + "' is not a comma-separated list of numbers", e);
    }
  }
}
