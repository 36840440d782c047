package org.l2cbeam.pipelines.demo;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.l2cbeam.core.router.StepPairing;
import org.l2cbeam.core.router.ThetaSearch;
import org.l2cbeam.core.router.UnitMacs;

/**
 * Which settings the demo samples. For each trained step count N: plain DDIM-N (the baseline); DDIM-N with the
 * learned router at the θ that removes each budgeted fraction of the run's MACs (router helper's {@link
 * ThetaSearch}); and, for the main sampler, plain DDIM with as many fewer steps as the cached runs save, which is the
 * paper's comparison: at equal cost, is caching better than just taking fewer steps?
 */
final class SettingsPlan {
  /** The settings, in report order, and one note per cached setting on how its θ was chosen. */
  record Plan(List<SamplingSetting> settings, List<String> notes) {}

  private SettingsPlan() {}

  /**
   * @param routerBeta β = sigmoid(p) per trained step count, {@code [steps][units]} (rows = spaced indices)
   * @param removeFractions the MAC budgets of the cached settings
   * @param matchedFor the step count whose cached settings get equal-cost plain DDIM runs
   */
  static Plan plan(Map<Integer, double[][]> routerBeta, UnitMacs macs, double[] removeFractions, int matchedFor) {
    List<SamplingSetting> settings = new ArrayList<>();
    List<SamplingSetting> matched = new ArrayList<>();
    List<String> notes = new ArrayList<>();
    for (Map.Entry<Integer, double[][]> e : routerBeta.entrySet()) {
      int steps = e.getKey();
      String base = "ddim" + steps;
      settings.add(SamplingSetting.plain(steps, base));
      boolean[] cacheRows = cacheRows(steps);
      for (double remove : removeFractions) {
        ThetaSearch.Choice choice = ThetaSearch.forRemovedFraction(e.getValue(), cacheRows, macs, remove);
        String name = String.format(Locale.ROOT, "%s-l2c%02d", base, Math.round(100 * remove));
        String label = String.format(Locale.ROOT, "DDIM-%d + L2C θ=%.3g", steps, choice.theta());
        settings.add(new SamplingSetting(name, label, steps, choice.schedule(), choice.theta(), base, remove));
        notes.add(
            String.format(
                Locale.ROOT,
                "%s: θ chosen for %.0f%% of the run's MACs removed (ThetaSearch); its schedule removes %.1f%%.",
                label, 100 * remove, 100 * choice.removedFraction()));
        if (steps == matchedFor) {
          // Every step costs about the same (the uncached part is small), so removing a fraction r of the MACs
          // costs as much as DDIM with (1 - r) N steps.
          int m = (int) Math.round(steps * (1 - choice.removedFraction()));
          if (m >= 2 && m != steps && matched.stream().noneMatch(s -> s.steps() == m)) {
            matched.add(SamplingSetting.plain(m, base));
          }
        }
      }
    }
    settings.addAll(matched);
    return new Plan(settings, notes);
  }

  static boolean[] cacheRows(int steps) {
    StepPairing pairing = StepPairing.dit();
    int rows = pairing.scheduleRows(steps);
    boolean[] cache = new boolean[rows];
    for (int r = 0; r < rows; r++) cache[r] = pairing.isCacheRow(r, rows);
    return cache;
  }
}
