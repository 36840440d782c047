package org.l2cbeam.pipelines.report;

import java.util.Locale;
import java.util.Optional;

/**
 * Renders a {@link BenchmarkReport} as the Markdown page {@code report.md} (and the table printed
 * at the end).
 */
public final class ReportMarkdown {
  private ReportMarkdown() {}

  public static String render(BenchmarkReport report) {
    StringBuilder md = new StringBuilder();
    md.append("# ").append(report.title()).append("\n\n");
    bullet(md, "Model", report.model());
    bullet(md, "FID reference statistics", report.referenceStats());
    md.append(
        String.format(Locale.ROOT, "- CFG scale: %s, on all channels%n", trim(report.cfgScale())));
    bullet(md, "Requests", report.requests());
    bullet(md, "Run on", report.runner());
    md.append('\n').append(table(report)).append('\n');
    md.append(
        "Speedup and MACs removed are relative to the setting named in brackets, measured in the same run.");
    if (report.requestSets() > 1) {
      md.append(
          String.format(
              Locale.ROOT,
              " FID is the mean over %d request sets ± its standard error; Δ FID is the setting's FID minus that of"
                  + " plain DDIM with the same MACs (in brackets), set by set on the same requests, ± its standard"
                  + " error.",
              report.requestSets()));
    } else {
      md.append(
          " Δ FID is the setting's FID minus that of plain DDIM with the same MACs (in brackets).");
    }
    md.append('\n');
    String paired = equalMacs(report);
    if (!paired.isEmpty()) {
      md.append(
              "\n## Cached settings against plain DDIM with the same MACs (paired, same requests)\n\n")
          .append(paired);
    }
    String verdict = equalLatency(report);
    if (!verdict.isEmpty()) {
      md.append("\n## L2C against plain DDIM at equal latency\n\n").append(verdict);
    }
    if (!report.notes().isEmpty()) {
      md.append("\n## Notes\n\n");
      for (String note : report.notes()) {
        md.append("- ").append(note).append('\n');
      }
    }
    return md.toString();
  }

  /**
   * The results table alone: setting, NFE, MACs, MACs removed, latency, speedup, FID (± its
   * standard error over request sets) and the paired Δ FID against plain DDIM with the same MACs.
   */
  public static String table(BenchmarkReport report) {
    StringBuilder md = new StringBuilder();
    md.append(
        "| setting | NFE | MACs / image | MACs removed | latency / image | speedup | FID | Δ FID vs same-MAC DDIM"
            + " | samples |\n");
    md.append("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n");
    for (SettingResult s : report.settings()) {
      String vs =
          s.baseline().equals(s.name()) ? "" : " (" + report.setting(s.baseline()).label() + ")";
      String delta =
          report
              .pairedDifference(s)
              .map(d -> d.format(true) + " (" + report.setting(s.pairedWith()).label() + ")")
              .orElse("");
      String samples =
          s.requestSets() > 1
              ? s.requestSets() + " × " + s.samples()
              : Integer.toString(s.samples());
      md.append(
          String.format(
              Locale.ROOT,
              "| %s | %d | %.2f G | %.1f%%%s | %.1f ms | %.2fx%s | %s | %s | %s |%n",
              s.label(),
              s.steps(),
              s.macsPerImage() / 1e9,
              100 * report.macsRemoved(s),
              vs,
              1000 * s.secondsPerImage(),
              report.speedup(s),
              vs,
              s.fidEstimate().format(false),
              delta,
              samples));
    }
    return md.toString();
  }

  /**
   * One line per cached setting: its FID minus its equal-MAC plain partner's on the same requests,
   * and whether that is clear of the noise (zero outside the 95% confidence interval, Student's t
   * over the request sets).
   */
  static String equalMacs(BenchmarkReport report) {
    StringBuilder md = new StringBuilder();
    for (SettingResult s : report.settings()) {
      if (s.pairedWith() == null) continue;
      SettingResult partner = report.setting(s.pairedWith());
      Estimate d = report.pairedDifference(s).orElseThrow();
      String verdict;
      if (!d.hasError()) {
        verdict = "one request set, so no error bar";
      } else if (d.clearOfZero()) {
        verdict =
            (d.mean() < 0 ? "better" : "worse")
                + String.format(
                    Locale.ROOT, ", zero outside the 95%% interval (±%.2f)", d.halfWidth95());
      } else {
        verdict =
            String.format(
                Locale.ROOT,
                "no clear difference, zero inside the 95%% interval (±%.2f)",
                d.halfWidth95());
      }
      md.append(
          String.format(
              Locale.ROOT,
              "- %s (%.1f%% of the MACs removed) against %s (%.1f%%): Δ FID %s over %d request set%s: %s.%n",
              s.label(),
              100 * report.macsRemoved(s),
              partner.label(),
              100 * (1 - partner.macsPerImage() / report.setting(s.baseline()).macsPerImage()),
              d.format(true),
              d.sets(),
              d.sets() == 1 ? "" : "s",
              verdict));
    }
    return md.toString();
  }

  /**
   * One line per cached setting: its FID against the plain DDIM line's FID at the same measured
   * latency.
   */
  static String equalLatency(BenchmarkReport report) {
    StringBuilder md = new StringBuilder();
    for (SettingResult s : report.settings()) {
      if (!s.isCached()) {
        continue;
      }
      Optional<Double> ddim = report.plainFidAtLatency(s.secondsPerImage());
      if (ddim.isEmpty()) {
        md.append(
            String.format(
                Locale.ROOT,
                "- %s: %.1f ms/image, FID %.2f; outside the latency range of the plain DDIM runs, no comparison.%n",
                s.label(),
                1000 * s.secondsPerImage(),
                s.fid()));
        continue;
      }
      double delta = ddim.get() - s.fid();
      md.append(
          String.format(
              Locale.ROOT,
              "- %s: %.1f ms/image, FID %.2f; plain DDIM at that latency (interpolated): FID %.2f. %s is %s by %.2f"
                  + " FID.%n",
              s.label(),
              1000 * s.secondsPerImage(),
              s.fid(),
              ddim.get(),
              s.isLearned() ? "L2C" : "The non-learned schedule",
              delta > 0 ? "better" : "worse",
              Math.abs(delta)));
    }
    return md.toString();
  }

  private static void bullet(StringBuilder md, String key, String value) {
    if (value != null && !value.isBlank()) {
      md.append("- ").append(key).append(": ").append(value).append('\n');
    }
  }

  private static String trim(double v) {
    return v == Math.rint(v) ? String.format(Locale.ROOT, "%.1f", v) : Double.toString(v);
  }
}
