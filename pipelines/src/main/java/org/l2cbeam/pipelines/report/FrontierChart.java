package org.l2cbeam.pipelines.report;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.geom.Ellipse2D;
import java.awt.geom.Rectangle2D;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import org.jfree.chart.ChartUtils;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.annotations.XYTextAnnotation;
import org.jfree.chart.axis.NumberAxis;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.xy.XYErrorRenderer;
import org.jfree.chart.title.TextTitle;
import org.jfree.chart.ui.TextAnchor;
import org.jfree.data.xy.YIntervalSeries;
import org.jfree.data.xy.YIntervalSeriesCollection;
import org.l2cbeam.core.io.AtomicFile;

/**
 * {@code fid-vs-latency.png}: the speed/quality frontier. Plain DDIM at several step counts is a
 * line (fewer steps: faster and worse); each cached setting is a point (squares: the learned
 * router; circles: the non-learned schedules). A point below the line at the same latency is the
 * paper's claim, L2C beating DDIM at equal speed. With repeated request sets every point carries
 * its standard error as a bar. Lower-left is better.
 */
public final class FrontierChart {
  static {
    System.setProperty("java.awt.headless", "true");
  }

  private static final Color DDIM_COLOR = new Color(31, 119, 180);
  private static final Color[] L2C_COLORS = {
    new Color(214, 39, 40),
    new Color(255, 127, 14),
    new Color(44, 160, 44),
    new Color(148, 103, 189),
    new Color(140, 86, 75),
    new Color(127, 127, 127)
  };

  private FrontierChart() {}

  public static JFreeChart chart(BenchmarkReport report) {
    YIntervalSeriesCollection data = new YIntervalSeriesCollection();
    YIntervalSeries ddim = new YIntervalSeries("plain DDIM (N steps)", true, true);
    for (SettingResult s : report.plainFrontier()) add(ddim, s);
    data.addSeries(ddim);
    // One point series per cached method and step count, learned routers first, in step order.
    Map<String, YIntervalSeries> cached = new TreeMap<>();
    for (SettingResult s : report.settings()) {
      if (!s.isCached()) continue;
      String key =
          (s.isLearned() ? "0" : "1" + s.method())
              + String.format(java.util.Locale.ROOT, "%05d", s.steps());
      String title =
          s.isLearned()
              ? "L2C, DDIM-" + s.steps() + " router"
              : s.method().replace('-', ' ') + " (not learned), DDIM-" + s.steps();
      add(cached.computeIfAbsent(key, k -> new YIntervalSeries(title, false, true)), s);
    }
    cached.values().forEach(data::addSeries);

    NumberAxis x = new NumberAxis("latency per image (ms), measured in the same run");
    x.setAutoRangeIncludesZero(false);
    NumberAxis y =
        new NumberAxis(
            report.requestSets() > 1
                ? "FID (lower is better), mean ± standard error over "
                    + report.requestSets()
                    + " request sets"
                : "FID (lower is better)");
    y.setAutoRangeIncludesZero(false);
    XYErrorRenderer renderer = new XYErrorRenderer();
    renderer.setDrawXError(false);
    renderer.setDrawYError(report.requestSets() > 1);
    renderer.setCapLength(6);
    renderer.setSeriesLinesVisible(0, true);
    renderer.setSeriesPaint(0, DDIM_COLOR);
    renderer.setSeriesStroke(0, new BasicStroke(2f));
    renderer.setSeriesShape(0, new Ellipse2D.Double(-4, -4, 8, 8));
    int series = 1;
    for (String key : cached.keySet()) {
      renderer.setSeriesLinesVisible(series, false);
      renderer.setSeriesPaint(series, L2C_COLORS[(series - 1) % L2C_COLORS.length]);
      renderer.setSeriesShape(
          series,
          key.startsWith("0")
              ? new Rectangle2D.Double(-6, -6, 12, 12)
              : new Ellipse2D.Double(-6, -6, 12, 12));
      series++;
    }
    XYPlot plot = new XYPlot(data, x, y, renderer);
    plot.setBackgroundPaint(Color.WHITE);
    plot.setDomainGridlinePaint(Color.LIGHT_GRAY);
    plot.setRangeGridlinePaint(Color.LIGHT_GRAY);
    Font labelFont = new Font(Font.SANS_SERIF, Font.PLAIN, 11);
    for (SettingResult s : report.settings()) {
      XYTextAnnotation label =
          new XYTextAnnotation("  " + s.label(), 1000 * s.secondsPerImage(), s.fid());
      label.setFont(labelFont);
      label.setTextAnchor(TextAnchor.BOTTOM_LEFT);
      label.setPaint(s.isCached() ? Color.DARK_GRAY : DDIM_COLOR.darker());
      plot.addAnnotation(label);
    }
    // Room for the labels to the right of the rightmost point and above the highest one.
    x.setUpperMargin(0.22);
    y.setUpperMargin(0.12);

    JFreeChart chart =
        new JFreeChart(
            "FID vs latency: " + report.model(),
            new Font(Font.SANS_SERIF, Font.BOLD, 15),
            plot,
            true);
    chart.setBackgroundPaint(Color.WHITE);
    int n = report.settings().get(0).samples();
    String requests =
        report.requestSets() > 1
            ? report.requestSets() + " request sets of " + n + " samples"
            : n + " samples each";
    chart.addSubtitle(
        new TextTitle(
            "same requests for every setting, "
                + requests
                + ", CFG "
                + report.cfgScale()
                + ", FID against "
                + report.referenceStats()
                + "; lower-left is better",
            new Font(Font.SANS_SERIF, Font.PLAIN, 12)));
    return chart;
  }

  private static void add(YIntervalSeries series, SettingResult s) {
    Estimate fid = s.fidEstimate();
    double error = fid.hasError() ? fid.standardError() : 0;
    series.add(1000 * s.secondsPerImage(), fid.mean(), fid.mean() - error, fid.mean() + error);
  }

  public static void write(Path png, BenchmarkReport report) throws IOException {
    AtomicFile.write(png, out -> write(out, report));
  }

  /** The chart as PNG bytes on {@code out} (not closed). */
  public static void write(java.io.OutputStream out, BenchmarkReport report) throws IOException {
    ChartUtils.writeChartAsPNG(out, chart(report), 900, 600);
  }
}
