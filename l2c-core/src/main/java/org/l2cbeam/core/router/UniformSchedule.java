package org.l2cbeam.core.router;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Cache schedules that are not learned: the baselines that show what a trained router buys. Each is
 * written as router scores, one strict ranking of every (cache step, unit) pair, so that {@link
 * ThetaSearch} cuts it at a MAC budget exactly as it cuts a learned router's, and a sampler runs it
 * like any router.
 *
 * <ul>
 *   <li>{@link Kind#SAME_UNITS}: the same units at every cache step, cheapest first by MACs
 *       (attention before MLP), units of equal cost spread evenly over depth. A budget between two
 *       units reuses the next unit at part of the cache steps, so every budget is met to one
 *       unit-step.
 *   <li>{@link Kind#WHOLE_STEPS}: every unit at a fixed set of cache steps, the steps spread evenly
 *       over the run (the interval caching of FORA-like methods); between two steps, the next step
 *       reuses part of its units.
 * </ul>
 *
 * <p>"Spread evenly" is the van der Corput order: 0, then the middle, then the quarters, and so on,
 * so that any prefix of the order is as evenly spaced as a prefix can be.
 */
public final class UniformSchedule {
  /** Which non-learned rule. */
  public enum Kind {
    SAME_UNITS("same-units", "same units"),
    WHOLE_STEPS("whole-steps", "whole steps");

    private final String id;
    private final String label;

    Kind(String id, String label) {
      this.id = id;
      this.label = label;
    }

    /** The name options and file names use, e.g. {@code same-units}. */
    public String id() {
      return id;
    }

    /** What a reader sees, e.g. {@code same units}. */
    public String label() {
      return label;
    }

    /** The kind named {@code id} ({@code same-units} or {@code whole-steps}). */
    public static Kind parse(String id) {
      for (Kind k : values()) {
        if (k.id.equals(id)) return k;
      }
      throw new IllegalArgumentException(
          "'" + id + "' is not a uniform schedule: use same-units or whole-steps");
    }
  }

  private UniformSchedule() {}

  /**
   * Scores for {@code kind} over a sampler of {@code nfe} evaluations of a {@code family} model
   * with these unit costs: lower scores are reused first. Rows that are not cache rows get the
   * highest score (they compute anyway).
   */
  public static RouterScores scores(Kind kind, ModelFamily family, int nfe, UnitMacs macs) {
    StepPairing pairing = family.pairing();
    int rows = pairing.scheduleRows(nfe);
    List<Integer> cacheRows = new ArrayList<>();
    for (int r = 0; r < rows; r++) {
      if (pairing.isCacheRow(r, rows)) cacheRows.add(r);
    }
    if (cacheRows.isEmpty()) {
      throw new IllegalArgumentException(
          nfe + " evaluations of a " + family.id() + " sampler have no cache step");
    }
    int[] stepOrder = spread(cacheRows.size());
    int[] unitOrder = cheapestFirst(macs);
    int units = macs.units();
    int pairs = cacheRows.size() * units;
    // Logits from -6 to 6 in rank order: distinct after the sigmoid, so no two pairs tie at any θ.
    float[][] logits = new float[nfe][units];
    for (float[] row : logits) java.util.Arrays.fill(row, 8f);
    for (int s = 0; s < stepOrder.length; s++) {
      int routerRow = pairing.routerRow(cacheRows.get(stepOrder[s]));
      for (int v = 0; v < units; v++) {
        int rank = kind == Kind.SAME_UNITS ? v * cacheRows.size() + s : s * units + v;
        logits[routerRow][unitOrder[v]] = (float) (-6.0 + 12.0 * rank / Math.max(1, pairs - 1));
      }
    }
    return new RouterScores(family, logits);
  }

  /**
   * The scores as a router artifact for the model of {@code modelFingerprint}, with a provenance
   * naming the rule.
   */
  public static RouterArtifact artifact(
      Kind kind, ModelFamily family, int nfe, UnitMacs macs, String modelFingerprint) {
    RouterArtifact.Provenance provenance =
        new RouterArtifact.Provenance(
            "uniform schedule: " + kind.id(),
            null,
            null,
            "l2c UniformSchedule",
            Map.of("learned", false));
    return new RouterArtifact(
        modelFingerprint,
        scores(kind, family, nfe, macs),
        family.sampler(),
        family.defaultTheta(),
        provenance);
  }

  /**
   * 0..n-1 in van der Corput order (bit-reversed indices of the next power of two, those below n).
   */
  static int[] spread(int n) {
    int bits = 0;
    while ((1 << bits) < n) bits++;
    int[] order = new int[n];
    int at = 0;
    for (int i = 0; i < (1 << bits); i++) {
      int reversed = bits == 0 ? 0 : Integer.reverse(i) >>> (32 - bits);
      if (reversed < n) order[at++] = reversed;
    }
    return order;
  }

  /**
   * Units by MACs ascending; units of equal cost (same kind) in the spread order of their blocks.
   */
  static int[] cheapestFirst(UnitMacs macs) {
    int units = macs.units();
    int blocks = units / 2;
    int[] blockRank = new int[blocks];
    int[] blockOrder = spread(blocks);
    for (int i = 0; i < blocks; i++) blockRank[blockOrder[i]] = i;
    List<Integer> order = new ArrayList<>();
    for (int u = 0; u < units; u++) order.add(u);
    order.sort(
        Comparator.<Integer>comparingDouble(macs::unit)
            .thenComparingInt(u -> u % 2)
            .thenComparingInt(u -> blockRank[u / 2]));
    return order.stream().mapToInt(Integer::intValue).toArray();
  }

  /** e.g. {@code "DDIM-20 + same units"} for labels. */
  public static String label(Kind kind, String sampler, int steps) {
    return String.format(Locale.ROOT, "%s-%d + %s", sampler, steps, kind.label());
  }
}
