package org.l2cbeam.pipelines.study;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.l2cbeam.pipelines.report.Estimate;

/**
 * {@code study.md}: per MAC budget the best learned, plain and non-learned setting with paired
 * differences and their 95% intervals; the router configurations; every setting; how it was run.
 * Everything in it is exact or computed from FIDs, so a re-run with the same options writes the
 * same bytes (latency, which is not, is left to the demo).
 */
final class StudyMarkdown {
  private StudyMarkdown() {}

  static String render(StudyResults r) {
    StudySize size = r.plan().size();
    int main = size.mainSteps();
    int sets = r.entries().get(0).setting().requestSets();
    StringBuilder md = new StringBuilder();
    md.append("# L2C study: ").append(r.measurement().model()).append("\n\n");
    md.append(
            "Where does a learned cache schedule (L2C) beat plain DDIM with fewer steps at the same MACs? Produced by")
        .append(" `./l2c demo --study")
        .append(size == StudySize.QUICK ? " --quick" : "")
        .append("` (study size `")
        .append(size.name())
        .append("`).\n\n");
    md.append("- Model: ")
        .append(r.measurement().model())
        .append(", CFG scale ")
        .append(trim(r.measurement().cfgScale()))
        .append(" on all channels\n");
    md.append("- FID reference statistics: ").append(r.measurement().referenceStats()).append('\n');
    md.append("- Requests: ").append(r.measurement().requests()).append('\n');
    md.append("- Conditions: ").append(r.measurement().conditions()).append('\n');
    md.append(
        String.format(
            Locale.ROOT,
            "- Error bars: each FID is the mean over the %d request sets ± its standard error; a difference Δ between two"
                + " settings is taken set by set on the same requests (paired) ± its standard error, and called clear when"
                + " zero lies outside its 95%% interval (Student's t with %d degrees of freedom: ± %.2f standard errors)."
                + "\n",
            sets,
            sets - 1,
            sets > 1 ? new Estimate(0, 1, sets).halfWidth95() : Double.NaN));
    md.append(
            "- MACs per image count the whole sampling run with the CFG-doubled batch; a budget of r removes r of the")
        .append(" run's MACs, and plain DDIM with round(N (1 − r)) steps spends the same.\n\n");

    md.append("## Per MAC budget: the best of each kind\n\n");
    md.append(
            "Among all settings that spend at most the budget's MACs, the one with the lowest mean FID of each kind;")
        .append(
            " Δ is its FID minus the best plain DDIM's, set by set. The best is picked by the same FIDs that give")
        .append(
            " its error bar, which flatters the kinds with more candidates (the learned settings).\n\n");
    md.append(
        "| budget | GMACs / image | best plain DDIM | best L2C | Δ L2C − DDIM | best non-learned | Δ non-learned − DDIM |\n");
    md.append("| --- | ---: | --- | --- | ---: | --- | ---: |\n");
    for (StudyResults.BudgetRow row : r.budgets()) {
      md.append(
          String.format(
              Locale.ROOT,
              "| DDIM-%d − %.0f%% | %.3f | %s | %s | %s | %s | %s |%n",
              row.steps(),
              100 * row.removed(),
              row.macs() / 1e9,
              cell(row.bestPlain()),
              row.bestLearned() == null ? "" : cell(row.bestLearned()),
              row.learnedVsPlain().map(StudyMarkdown::delta).orElse(""),
              row.bestUniform() == null ? "" : cell(row.bestUniform()),
              row.uniformVsPlain().map(StudyMarkdown::delta).orElse("")));
    }
    md.append('\n').append(verdicts(r)).append('\n');
    md.append("![FID vs MACs](").append(StudyReport.FRONTIER).append(")\n\n");

    md.append("## Router training: updates, learning rate, λ\n\n");
    md.append(
        String.format(
            Locale.ROOT,
            "Every configuration at DDIM-%d, each cached setting against plain DDIM with the same MACs (Δ, paired). Routers"
                + " are trained per cache step on `builtin:fashion-mnist`, batch %d; configurations with the same learning"
                + " rate and λ continue one another's checkpoints. The best configuration (lowest mean Δ over the budgets"
                + " below) is then sampled at %s of the MACs removed too: **%s**.%n%n",
            main,
            size.trainBatch(),
            percentList(size.frontierBudgets()),
            r.best().config().describe(main)));
    md.append("| configuration |");
    for (double b : size.screenBudgets())
      md.append(String.format(Locale.ROOT, " Δ at %.0f%% |", 100 * b));
    md.append(" last-tenth MSE, mean over cache steps | reused at θ = 0.5 |\n| --- |");
    for (int i = 0; i < size.screenBudgets().size(); i++) md.append(" ---: |");
    md.append(" ---: | ---: |\n");
    for (StudyPiece p : r.pieces()) {
      if (p.role() != StudyPiece.Role.ROUTER) continue;
      md.append("| DDIM-")
          .append(p.steps())
          .append(", ")
          .append(p.config().describe(p.steps()))
          .append(" |");
      for (double b : p.steps() == main ? size.screenBudgets() : size.longBudgets()) {
        StudyResults.Entry e = learnedAt(r, p, b);
        md.append(' ').append(e == null ? "" : delta(r.againstPartner(e))).append(" |");
      }
      if (p.steps() != main) {
        for (int i = size.longBudgets().size(); i < size.screenBudgets().size(); i++)
          md.append(" |");
      }
      md.append(String.format(Locale.ROOT, " %.3g | %s |%n", lastMse(r, p), reusedAtHalf(r, p)));
    }
    md.append("\nThe DDIM-")
        .append(size.longSteps())
        .append(" row is at ")
        .append(percentList(size.longBudgets()))
        .append(
            " (its columns in that order). Loss curves (mean MSE to the full model over equal windows of")
        .append(" training, one line per cache step):\n\n");
    md.append("![router loss curves](").append(StudyReport.LOSS_CURVES).append(")\n\n");

    md.append(redundancy(r));

    md.append("## Every setting\n\n");
    md.append(
        "| piece | setting | GMACs / image | FID | Δ vs same-MAC DDIM | |\n| --- | --- | ---: | ---: | ---: | --- |\n");
    for (StudyResults.Entry e : r.entries()) {
      String d = "";
      String clear = "";
      if (!e.isPlain()) {
        Estimate est = r.againstPartner(e);
        d = delta(est) + " (" + e.setting().pairedWith().replace("ddim", "DDIM-") + ")";
        clear = est.clearOfZero() ? (est.mean() < 0 ? "better" : "worse") : "no clear difference";
      }
      md.append(
          String.format(
              Locale.ROOT,
              "| %s | %s | %.3f | %s | %s | %s |%n",
              e.piece().id(),
              e.label(),
              e.macs() / 1e9,
              e.fid().format(false),
              d,
              clear));
    }
    md.append("\n## How it was run\n\n");
    md.append(
            "Each piece is one run of the `benchmark` pipeline (`l2c pipeline benchmark`), in this order, with these")
        .append(" options (`OUT` is the study's output folder):\n\n");
    for (StudyPiece p : r.pieces()) {
      List<String> args = new ArrayList<>();
      for (String a : p.args()) args.add(a.replace(r.plan().out().toString(), "OUT"));
      md.append("- `").append(p.id()).append("`: `").append(String.join(" ", args)).append("`\n");
    }
    md.append(
            "\nAll numbers here are exact (MACs) or FIDs, which are reproducible bit for bit from the same options")
        .append(
            " on the same CPU type with the same libtorch thread count (samples depend only on their requests, and")
        .append(
            " the FID statistics do not depend on how the runner bundled the images). Latency is measured by the")
        .append(
            " pieces' own reports and the demo, not here: timings on a shared machine are not reproducible.\n");
    return md.toString();
  }

  /**
   * The "why" section: per step count the mean relative change of the attention units, the MLP
   * units and the guided ε between paired steps, over all cache steps and over each half of them;
   * per cache step with the router's β; per block.
   */
  private static String redundancy(StudyResults r) {
    StringBuilder md = new StringBuilder("## Why: redundancy between paired steps\n\n");
    Map<Integer, JsonObject> all = r.redundancy();
    JsonObject first = all.values().iterator().next();
    md.append(
        String.format(
            Locale.ROOT,
            "How much each cache unit's output changes between a full step and the cache step that would reuse it, on the"
                + " plain sampler's trajectory: ‖o(cache step) − o(full step)‖ / ‖o(cache step)‖ per model row, the mean"
                + " over %d requests and their unconditional twins (`l2c router redundancy`). Reusing a unit replaces its"
                + " output by one that is off by about this fraction of its size, so a unit that changes little is what a"
                + " cache schedule can remove cheaply, and one that changes a lot costs quality whatever the router"
                + " learns. The guided ε is the same statistic for the whole model's output. \"First half\" is the"
                + " noisier half of the cache steps (sampled first).%n%n",
            first.get("requests").getAsInt()));
    md.append(
        "| run | cache steps | attention | MLP | guided ε |\n| --- | --- | ---: | ---: | ---: |\n");
    for (Map.Entry<Integer, JsonObject> e : all.entrySet()) {
      JsonArray steps = e.getValue().getAsJsonArray("cacheSteps");
      int n = steps.size();
      int half = (n + 1) / 2;
      for (int[] range : new int[][] {{0, n}, {0, half}, {half, n}}) {
        String which =
            range[1] - range[0] == n
                ? "all " + n
                : range[0] == 0 ? "first " + half : "last " + (n - half);
        md.append(
            String.format(
                Locale.ROOT,
                "| DDIM-%d | %s | %s | %s | %s |%n",
                e.getKey(),
                which,
                percent(meanOf(steps, "attentionMean", range)),
                percent(meanOf(steps, "mlpMean", range)),
                percent(meanOf(steps, "output", range))));
      }
    }
    for (Map.Entry<Integer, JsonObject> e : all.entrySet()) {
      int stepCount = e.getKey();
      JsonObject result = e.getValue();
      var router = r.routerFor(stepCount);
      double[][] beta = router.scores().betaPerRow();
      JsonArray units = result.getAsJsonArray("units");
      md.append(
          String.format(
              Locale.ROOT,
              "%n### DDIM-%d, per cache step%n%nβ: the mean β = sigmoid(p_k) of the attention / MLP units that the router"
                  + " of %s learned for that cache step (reused when β ≤ θ).%n%n",
              stepCount,
              stepCount == size(r).mainSteps()
                  ? "the best configuration"
                  : "the DDIM-" + stepCount + " piece"));
      md.append(
              "| cache step k | timestep full → cache | guided ε | attention | MLP | least change | most change |")
          .append(
              " router β attention / MLP |\n| ---: | --- | ---: | ---: | ---: | --- | --- | ---: |\n");
      for (var element : result.getAsJsonArray("cacheSteps")) {
        JsonObject step = element.getAsJsonObject();
        JsonArray change = step.getAsJsonArray("units");
        int least = 0;
        int most = 0;
        for (int u = 1; u < change.size(); u++) {
          if (change.get(u).getAsDouble() < change.get(least).getAsDouble()) least = u;
          if (change.get(u).getAsDouble() > change.get(most).getAsDouble()) most = u;
        }
        int row = step.get("row").getAsInt();
        md.append(
            String.format(
                Locale.ROOT,
                "| %d | %s → %s | %s | %s | %s | %s %s | %s %s | %.2f / %.2f |%n",
                row,
                time(step.get("fullStepTime").getAsDouble()),
                time(step.get("cacheStepTime").getAsDouble()),
                percent(step.get("output").getAsDouble()),
                percent(step.get("attentionMean").getAsDouble()),
                percent(step.get("mlpMean").getAsDouble()),
                unitName(units, least),
                percent(change.get(least).getAsDouble()),
                unitName(units, most),
                percent(change.get(most).getAsDouble()),
                kindMean(beta[row], 0),
                kindMean(beta[row], 1)));
      }
    }
    md.append("\n### Per block, mean over the cache steps\n\n| block |");
    for (int steps : all.keySet())
      md.append(" DDIM-").append(steps).append(" attention | DDIM-").append(steps).append(" MLP |");
    md.append("\n| --- |");
    for (int i = 0; i < all.size(); i++) md.append(" ---: | ---: |");
    md.append('\n');
    int blocks = first.getAsJsonArray("units").size() / 2;
    for (int b = 0; b < blocks; b++) {
      md.append("| ").append(b).append(" |");
      for (JsonObject result : all.values()) {
        JsonArray steps = result.getAsJsonArray("cacheSteps");
        for (int u = 2 * b; u <= 2 * b + 1; u++) {
          double s = 0;
          for (var step : steps)
            s += step.getAsJsonObject().getAsJsonArray("units").get(u).getAsDouble();
          md.append(' ').append(percent(s / steps.size())).append(" |");
        }
      }
      md.append('\n');
    }
    return md.append('\n').toString();
  }

  private static StudySize size(StudyResults r) {
    return r.plan().size();
  }

  private static double meanOf(JsonArray steps, String field, int[] range) {
    double s = 0;
    for (int i = range[0]; i < range[1]; i++)
      s += steps.get(i).getAsJsonObject().get(field).getAsDouble();
    return s / (range[1] - range[0]);
  }

  private static double kindMean(double[] beta, int kind) {
    double s = 0;
    for (int u = kind; u < beta.length; u += 2) s += beta[u];
    return s / (beta.length / 2);
  }

  private static String unitName(JsonArray units, int u) {
    return units.get(u).getAsJsonObject().get("name").getAsString();
  }

  private static String percent(double fraction) {
    return String.format(Locale.ROOT, "%.1f%%", 100 * fraction);
  }

  private static String time(double t) {
    return t == Math.rint(t) ? Long.toString((long) t) : String.format(Locale.ROOT, "%.1f", t);
  }

  /** One sentence per budget row. */
  private static String verdicts(StudyResults r) {
    StringBuilder md = new StringBuilder();
    for (StudyResults.BudgetRow row : r.budgets()) {
      if (row.bestLearned() == null) continue;
      Estimate d = row.learnedVsPlain().orElseThrow();
      String outcome =
          !d.hasError()
              ? "one request set, no error bar"
              : d.clearOfZero()
                  ? (d.mean() < 0 ? "**L2C is better**" : "**L2C is worse**")
                  : "no clear difference";
      md.append(
          String.format(
              Locale.ROOT,
              "- DDIM-%d − %.0f%% (%.3f GMACs): best L2C %s vs best DDIM %s: Δ %s, 95%%"
                  + " interval ±%.2f: %s.%n",
              row.steps(),
              100 * row.removed(),
              row.macs() / 1e9,
              row.bestLearned().fid().format(false),
              row.bestPlain().fid().format(false),
              d.format(true),
              d.halfWidth95(),
              outcome));
    }
    return md.toString();
  }

  private static StudyResults.Entry learnedAt(StudyResults r, StudyPiece p, double budget) {
    for (StudyResults.Entry e : r.entries()) {
      if (e.piece().equals(p) && e.isLearned() && StudyResults.nominalBudget(e) == budget) return e;
    }
    return null;
  }

  /** Mean over cache steps of the last-tenth MSE that the router's loss summary records. */
  @SuppressWarnings("unchecked")
  static double lastMse(StudyResults r, StudyPiece p) {
    Map<String, Object> loss =
        (Map<String, Object>) r.router(p.id()).provenance().training.get("loss");
    double sum = 0;
    for (Object v : loss.values()) {
      Map<String, Object> lastTenth =
          (Map<String, Object>) ((Map<String, Object>) v).get("lastTenth");
      sum += ((Number) lastTenth.get("mse")).doubleValue();
    }
    return sum / loss.size();
  }

  /**
   * How many cache-step units the router would reuse at the plain threshold 0.5, e.g. {@code 37 /
   * 160}.
   */
  private static String reusedAtHalf(StudyResults r, StudyPiece p) {
    var scores = r.router(p.id()).scores();
    var schedule = scores.schedule(0.5);
    boolean[] cache = scores.cacheRows();
    int reused = 0;
    int all = 0;
    for (int k = 0; k < cache.length; k++) {
      if (!cache[k]) continue;
      all += schedule.units();
      reused += schedule.units() - schedule.active(k);
    }
    return reused + " / " + all;
  }

  private static String cell(StudyResults.Entry e) {
    return e.label() + ": " + e.fid().format(false);
  }

  private static String delta(Estimate d) {
    String s = d.format(true);
    return d.clearOfZero() ? "**" + s + "**" : s;
  }

  private static String percentList(List<Double> budgets) {
    List<String> parts = new ArrayList<>();
    for (double b : budgets) parts.add(String.format(Locale.ROOT, "%.0f%%", 100 * b));
    return String.join(", ", parts);
  }

  private static String trim(double v) {
    return v == Math.rint(v) ? String.format(Locale.ROOT, "%.1f", v) : Double.toString(v);
  }

  /** For the JSON: the same verdict word the table uses. */
  static String outcome(Estimate d) {
    if (!d.hasError()) return "one request set";
    return d.clearOfZero() ? (d.mean() < 0 ? "better" : "worse") : "no clear difference";
  }
}
