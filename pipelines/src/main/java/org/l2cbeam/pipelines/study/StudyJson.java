package org.l2cbeam.pipelines.study;

import com.google.gson.GsonBuilder;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.l2cbeam.pipelines.report.Estimate;

/**
 * {@code study.json}: every setting (piece, method, steps, router configuration, MACs, per-set FIDs
 * and the paired Δ against its same-MAC plain partner), the per-budget comparison, the best
 * configuration, the redundancy between paired steps per step count ({@link StudyRedundancy}), and
 * each piece's options with the output folder written as {@code OUT}, so that the file depends on
 * the options alone.
 */
final class StudyJson {
  private StudyJson() {}

  static String render(StudyResults r) {
    Map<String, Object> root = new LinkedHashMap<>();
    root.put("model", r.measurement().model());
    root.put("referenceStats", r.measurement().referenceStats());
    root.put("cfgScale", r.measurement().cfgScale());
    root.put("requests", r.measurement().requests());
    root.put("conditions", r.measurement().conditions());
    root.put("size", r.plan().size().name());
    root.put("bestConfiguration", r.best().config().id());
    List<Object> pieces = new ArrayList<>();
    for (StudyPiece p : r.pieces()) {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("id", p.id());
      m.put("role", p.role().name().toLowerCase(java.util.Locale.ROOT));
      m.put("steps", p.steps());
      if (p.config() != null) m.put("configuration", config(p.config()));
      List<String> args = new ArrayList<>();
      for (String a : p.args()) args.add(a.replace(r.plan().out().toString(), "OUT"));
      m.put("args", args);
      pieces.add(m);
    }
    root.put("pieces", pieces);
    List<Object> settings = new ArrayList<>();
    for (StudyResults.Entry e : r.entries()) {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("id", e.id());
      m.put("piece", e.piece().id());
      m.put("name", e.setting().name());
      m.put("label", e.setting().label());
      m.put("method", e.setting().method());
      m.put("steps", e.setting().steps());
      if (e.setting().theta() != null) m.put("theta", e.setting().theta());
      if (e.config() != null) m.put("configuration", config(e.config()));
      m.put("macsPerImage", e.macs());
      m.put("fidPerSet", e.setting().fidPerSet());
      m.put("fid", estimate(e.fid()));
      if (!e.isPlain()) {
        m.put("pairedWith", e.setting().pairedWith());
        m.put("deltaVsPairedWith", estimate(r.againstPartner(e)));
      }
      settings.add(m);
    }
    root.put("settings", settings);
    List<Object> budgets = new ArrayList<>();
    for (StudyResults.BudgetRow row : r.budgets()) {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("steps", row.steps());
      m.put("macsRemoved", row.removed());
      m.put("macsPerImage", row.macs());
      m.put("bestPlain", row.bestPlain().id());
      if (row.bestLearned() != null) {
        m.put("bestL2c", row.bestLearned().id());
        m.put("deltaL2cVsPlain", estimate(row.learnedVsPlain().orElseThrow()));
      }
      if (row.bestUniform() != null) {
        m.put("bestNonLearned", row.bestUniform().id());
        m.put("deltaNonLearnedVsPlain", estimate(row.uniformVsPlain().orElseThrow()));
      }
      budgets.add(m);
    }
    root.put("budgets", budgets);
    Map<String, Object> redundancy = new LinkedHashMap<>();
    r.redundancy().forEach((steps, result) -> redundancy.put("ddim" + steps, result));
    root.put("redundancy", redundancy);
    return new GsonBuilder()
            .setPrettyPrinting()
            .disableHtmlEscaping()
            .serializeSpecialFloatingPointValues()
            .create()
            .toJson(root)
        + "\n";
  }

  private static Map<String, Object> config(RouterConfig c) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("id", c.id());
    m.put("iterations", c.iterations());
    m.put("learningRate", c.learningRate());
    if (c.lambda() != null) m.put("lambda", c.lambda());
    return m;
  }

  private static Map<String, Object> estimate(Estimate e) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("mean", e.mean());
    m.put("standardError", e.standardError());
    m.put("sets", e.sets());
    m.put("halfWidth95", e.halfWidth95());
    m.put("outcome", StudyMarkdown.outcome(e));
    return m;
  }
}
