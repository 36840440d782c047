package org.l2cbeam.pipelines.study;

import com.google.gson.JsonObject;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.checkerframework.checker.nullness.qual.Nullable;
import org.l2cbeam.core.router.RouterArtifact;
import org.l2cbeam.pipelines.report.BenchmarkReport;
import org.l2cbeam.pipelines.report.Estimate;
import org.l2cbeam.pipelines.report.Measurement;
import org.l2cbeam.pipelines.report.ReportJson;
import org.l2cbeam.pipelines.report.SettingResult;

/**
 * Every setting of a finished study, from its pieces' reports: the plain settings of the baselines
 * pieces, and the cached settings of every piece with the router configuration that made them. All
 * pieces must have measured the same requests under the same conditions, so that any two settings
 * compare set by set.
 */
final class StudyResults {
  /**
   * One setting of the study.
   *
   * @param id unique in the study: {@code <piece>/<setting>}
   * @param config the router configuration of a learned setting (the best one's for the frontier
   *     piece), else null
   */
  record Entry(String id, StudyPiece piece, @Nullable RouterConfig config, SettingResult setting) {
    boolean isPlain() {
      return !setting.isCached();
    }

    boolean isLearned() {
      return setting.isLearned();
    }

    double macs() {
      return setting.macsPerImage();
    }

    Estimate fid() {
      return setting.fidEstimate();
    }

    /** e.g. {@code DDIM-20 + L2C θ=0.754 [200 updates, lr 0.05, λ 5e-06 (default)]}. */
    String label() {
      return config == null
          ? setting.label()
          : setting.label() + " [" + config.describe(setting.steps()) + "]";
    }
  }

  /**
   * One MAC budget: the MACs of the cached settings at nominal budget {@code removed} of {@code
   * steps} steps, and the best setting of each kind that spends no more.
   */
  record BudgetRow(
      int steps,
      double removed,
      double macs,
      Entry bestPlain,
      @Nullable Entry bestLearned,
      @Nullable Entry bestUniform) {
    Optional<Estimate> learnedVsPlain() {
      return bestLearned == null
          ? Optional.empty()
          : Optional.of(difference(bestLearned, bestPlain));
    }

    Optional<Estimate> uniformVsPlain() {
      return bestUniform == null
          ? Optional.empty()
          : Optional.of(difference(bestUniform, bestPlain));
    }
  }

  private final StudyPlan plan;
  private final List<StudyPiece> pieces;
  private final Map<String, BenchmarkReport> reports = new LinkedHashMap<>();
  private final Map<String, RouterArtifact> routers = new LinkedHashMap<>();
  private final List<Entry> entries = new ArrayList<>();
  private final StudyPiece best;
  private final Measurement measurement;
  private final Map<Integer, JsonObject> redundancy;

  private StudyResults(StudyPlan plan, List<StudyPiece> pieces, StudyPiece best)
      throws IOException {
    this.plan = plan;
    this.pieces = List.copyOf(pieces);
    this.best = best;
    Measurement first = null;
    for (StudyPiece p : pieces) {
      Path file = plan.folder(p.id()).resolve("report.json");
      BenchmarkReport r = ReportJson.read(file);
      if (first == null) {
        first = r.measurement();
      } else {
        String why = first.incomparability(r.measurement());
        if (why != null) {
          throw new IllegalArgumentException(
              "study piece " + p.id() + " (" + file + ") was measured differently: " + why);
        }
      }
      reports.put(p.id(), r);
      if (p.role() == StudyPiece.Role.ROUTER) {
        routers.put(
            p.id(),
            RouterArtifact.read(plan.folder(p.id()).resolve("router-ddim" + p.steps() + ".json")));
      }
      RouterConfig config = p.role() == StudyPiece.Role.FRONTIER ? best.config() : p.config();
      for (SettingResult s : r.settings()) {
        // Router pieces carry their plain partners as known results of the baselines pieces: count
        // those once. A
        // plain setting two baselines pieces both sampled must have come out the same, bit for bit.
        if (!s.isCached()) {
          if (p.role() != StudyPiece.Role.BASELINES) continue;
          Entry same =
              entries.stream()
                  .filter(e -> e.isPlain() && e.setting().name().equals(s.name()))
                  .findFirst()
                  .orElse(null);
          if (same != null) {
            if (!same.setting().fidPerSet().equals(s.fidPerSet())) {
              throw new IllegalStateException(
                  "study pieces "
                      + same.piece().id()
                      + " and "
                      + p.id()
                      + " sampled "
                      + s.name()
                      + " on the same requests but measured different FIDs: "
                      + same.setting().fidPerSet()
                      + " and "
                      + s.fidPerSet());
            }
            continue;
          }
        }
        entries.add(new Entry(p.id() + "/" + s.name(), p, s.isLearned() ? config : null, s));
      }
    }
    this.measurement = first;
    this.redundancy = new StudyRedundancy(plan).load();
  }

  static StudyResults load(StudyPlan plan, List<StudyPiece> pieces) throws IOException {
    for (StudyPiece p : pieces) {
      if (!Files.isRegularFile(plan.folder(p.id()).resolve("report.json"))) {
        throw new IllegalStateException(
            "study piece " + p.id() + " has not finished: no " + plan.folder(p.id()));
      }
    }
    return new StudyResults(plan, pieces, StudyRunner.best(plan, pieces));
  }

  StudyPlan plan() {
    return plan;
  }

  List<StudyPiece> pieces() {
    return pieces;
  }

  StudyPiece best() {
    return best;
  }

  Measurement measurement() {
    return measurement;
  }

  List<Entry> entries() {
    return entries;
  }

  BenchmarkReport report(String piece) {
    return reports.get(piece);
  }

  /** The redundancy between paired steps by step count, as {@link StudyRedundancy} stored it. */
  Map<Integer, JsonObject> redundancy() {
    return redundancy;
  }

  /**
   * The router whose β the redundancy of {@code steps} steps is shown with: the best
   * configuration's at the main step count, the long run's router otherwise.
   */
  RouterArtifact routerFor(int steps) {
    if (steps == plan.size().mainSteps()) return routers.get(best.id());
    for (StudyPiece p : pieces) {
      if (p.role() == StudyPiece.Role.ROUTER && p.steps() == steps) return routers.get(p.id());
    }
    throw new IllegalStateException("the study has no router at DDIM-" + steps);
  }

  /** The trained router of a router piece. */
  RouterArtifact router(String piece) {
    return routers.get(piece);
  }

  /** The plain setting of {@code steps} steps. */
  Entry plain(int steps) {
    return entries.stream()
        .filter(e -> e.isPlain() && e.setting().steps() == steps)
        .findFirst()
        .orElseThrow(() -> new IllegalStateException("the study has no plain DDIM-" + steps));
  }

  /** The paired difference {@code a − b}: every piece sampled the same request sets. */
  static Estimate difference(Entry a, Entry b) {
    return Estimate.pairedDifference(a.setting().fidPerSet(), b.setting().fidPerSet());
  }

  /** A cached entry against its own equal-MAC plain partner. */
  Estimate againstPartner(Entry cached) {
    return difference(cached, plain(stepsOf(cached.setting().pairedWith())));
  }

  private static int stepsOf(String plainName) {
    return Integer.parseInt(plainName.substring("ddim".length()));
  }

  /**
   * The nominal budget (fraction removed) of a cached entry, from its setting name ({@code
   * ddim20-l2c40} → 0.40).
   */
  static double nominalBudget(Entry e) {
    String name = e.setting().name();
    return Integer.parseInt(name.substring(name.length() - 2)) / 100.0;
  }

  /**
   * One row per nominal budget (step count, fraction) of the study's cached settings, cheapest
   * first: the best plain, learned and non-learned setting (lowest mean FID) among all settings
   * that spend at most the MACs of the cached settings at that budget. The best is picked by its
   * mean over the same sets that give its error bar, so it is slightly optimistic, more so for the
   * learned settings, which have more candidates.
   */
  List<BudgetRow> budgets() {
    Map<String, List<Entry>> byBudget = new LinkedHashMap<>();
    for (Entry e : entries) {
      if (e.isPlain()) continue;
      byBudget
          .computeIfAbsent(e.setting().steps() + "@" + nominalBudget(e), k -> new ArrayList<>())
          .add(e);
    }
    List<BudgetRow> rows = new ArrayList<>();
    for (List<Entry> group : byBudget.values()) {
      // The budget is what its equal-cost plain partner spends, or what the cached settings spend
      // if more (a budget
      // that round(N (1 − r)) does not hit exactly, e.g. 49% of 20 steps against DDIM-10).
      double macs =
          Math.max(
              group.stream().mapToDouble(Entry::macs).max().orElseThrow(),
              plain(stepsOf(group.get(0).setting().pairedWith())).macs());
      double limit = macs * (1 + 1e-9);
      Entry plain = lowest(e -> e.isPlain() && e.macs() <= limit);
      if (plain == null) continue; // no plain DDIM as cheap: nothing to compare with
      rows.add(
          new BudgetRow(
              group.get(0).setting().steps(),
              nominalBudget(group.get(0)),
              macs,
              plain,
              lowest(e -> e.isLearned() && e.macs() <= limit),
              lowest(e -> !e.isPlain() && !e.isLearned() && e.macs() <= limit)));
    }
    rows.sort(Comparator.comparingDouble(BudgetRow::macs));
    return rows;
  }

  private @Nullable Entry lowest(java.util.function.Predicate<Entry> which) {
    return entries.stream()
        .filter(which)
        .min(Comparator.comparingDouble(e -> e.fid().mean()))
        .orElse(null);
  }
}
