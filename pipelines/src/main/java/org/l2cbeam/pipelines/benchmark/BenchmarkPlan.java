package org.l2cbeam.pipelines.benchmark;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Which settings a benchmark samples, from its options. For each routed step count N: plain DDIM-N (the baseline)
 * and DDIM-N with the router at each MAC budget. For the main step count, also plain DDIM with as many fewer steps as
 * each budget saves, round(N·(1 − r)): every step costs about the same (the uncached part is small), so that is the
 * equal-cost comparison the paper makes. Then any extra plain step counts, for the frontier.
 */
final class BenchmarkPlan {
  private BenchmarkPlan() {}

  static List<BenchmarkSetting> settings(int[] routedSteps, double[] macsRemoved, int[] extraPlainSteps) {
    List<BenchmarkSetting> settings = new ArrayList<>();
    List<Integer> plainSteps = new ArrayList<>();
    for (int steps : routedSteps) {
      settings.add(BenchmarkSetting.plain(steps, "ddim" + steps));
      plainSteps.add(steps);
      for (double r : macsRemoved) settings.add(BenchmarkSetting.cached(steps, r));
    }
    String mainBaseline = "ddim" + routedSteps[0];
    List<Integer> extra = new ArrayList<>();
    for (double r : macsRemoved) extra.add((int) Math.round(routedSteps[0] * (1 - r)));
    for (int s : extraPlainSteps) extra.add(s);
    for (int s : extra) {
      if (s >= 1 && !plainSteps.contains(s)) {
        plainSteps.add(s);
        settings.add(BenchmarkSetting.plain(s, mainBaseline));
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
      int[] steps = Arrays.stream(list.split(",")).map(String::trim).mapToInt(Integer::parseInt).toArray();
      for (int s : steps) {
        if (s < 1) throw new IllegalArgumentException(option + ": step counts must be positive, got " + s);
      }
      if (Arrays.stream(steps).distinct().count() != steps.length) {
        throw new IllegalArgumentException(option + ": '" + list + "' repeats a step count");
      }
      return steps;
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(option + ": '" + list + "' is not a comma-separated list of integers", e);
    }
  }

  static double[] parseFractions(String option, String list) {
    if (list == null || list.isBlank()) return new double[0];
    try {
      double[] f = Arrays.stream(list.split(",")).map(String::trim).mapToDouble(Double::parseDouble).toArray();
      for (double x : f) {
        if (!(x > 0 && x < 1)) throw new IllegalArgumentException(option + ": each fraction must be in (0, 1), got " + x);
      }
      return f;
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(option + ": '" + list + "' is not a comma-separated list of numbers", e);
    }
  }
}
