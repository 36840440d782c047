package org.l2cbeam.pipelines.report;

import java.util.Locale;
import java.util.Optional;

/** Renders a {@link BenchmarkReport} as the Markdown page {@code report.md} (and the table printed at the end). */
public final class ReportMarkdown {
  private ReportMarkdown() {}

  public static String render(BenchmarkReport report) {
    StringBuilder md = new StringBuilder();
    md.append("# ").append(report.title()).append("\n\n");
    bullet(md, "Model", report.model());
    bullet(md, "FID reference statistics", report.referenceStats());
    md.append(String.format(Locale.ROOT, "- CFG scale: %s, on all channels%n", trim(report.cfgScale())));
    bullet(md, "Requests", report.requests());
    bullet(md, "Run on", report.runner());
    md.append('\n').append(table(report)).append('\n');
    md.append("Speedup and MACs removed are relative to the setting named in brackets, measured in the same run.\n");
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

  /** The results table alone: setting, NFE, MACs, MACs removed, latency, speedup and FID. */
  public static String table(BenchmarkReport report) {
    StringBuilder md = new StringBuilder();
    md.append("| setting | NFE | MACs / image | MACs removed | latency / image | speedup | FID | samples |\n");
    md.append("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n");
    for (SettingResult s : report.settings()) {
      String vs = s.baseline().equals(s.name()) ? "" : " (" + report.setting(s.baseline()).label() + ")";
      md.append(
          String.format(
              Locale.ROOT,
              "| %s | %d | %.2f G | %.1f%%%s | %.1f ms | %.2fx%s | %.2f | %d |%n",
              s.label(),
              s.steps(),
              s.macsPerImage() / 1e9,
              100 * report.macsRemoved(s),
              vs,
              1000 * s.secondsPerImage(),
              report.speedup(s),
              vs,
              s.fid(),
              s.samples()));
    }
    return md.toString();
  }

  /** One line per cached setting: its FID against the plain DDIM line's FID at the same measured latency. */
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
              "- %s: %.1f ms/image, FID %.2f; plain DDIM at that latency (interpolated): FID %.2f. L2C is %s by %.2f"
                  + " FID.%n",
              s.label(),
              1000 * s.secondsPerImage(),
              s.fid(),
              ddim.get(),
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
