package org.l2cbeam.pipelines.study;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.geom.Ellipse2D;
import java.awt.geom.Rectangle2D;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import javax.imageio.ImageIO;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.axis.LogAxis;
import org.jfree.chart.axis.NumberAxis;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.xy.XYErrorRenderer;
import org.jfree.chart.renderer.xy.XYLineAndShapeRenderer;
import org.jfree.chart.title.TextTitle;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;
import org.jfree.data.xy.YIntervalSeries;
import org.jfree.data.xy.YIntervalSeriesCollection;
import org.l2cbeam.core.router.RouterArtifact;
import org.l2cbeam.pipelines.report.Estimate;

/**
 * The study's two figures: FID against MACs per image with error bars ({@code study-frontier.png}),
 * and the router-training loss curves, one panel per router configuration and one line per cache
 * step ({@code study-loss-curves.png}).
 */
final class StudyCharts {
  static {
    System.setProperty("java.awt.headless", "true");
  }

  private static final Color PLAIN = new Color(31, 119, 180);
  private static final Color BEST = new Color(214, 39, 40);
  private static final Color OTHER_L2C = new Color(255, 152, 150);
  private static final Color LONG_L2C = new Color(148, 103, 189);
  private static final Color SAME_UNITS = new Color(255, 127, 14);
  private static final Color WHOLE_STEPS = new Color(44, 160, 44);

  private StudyCharts() {}

  /**
   * FID (mean ± standard error over the request sets) against GMACs per image: plain DDIM as a
   * line, the best router of the main step count as a line, every other learned setting and the
   * non-learned ones as points. MACs rather than latency: they are exact, so the figure is
   * reproducible bit for bit.
   */
  static JFreeChart frontier(StudyResults results) {
    int main = results.plan().size().mainSteps();
    Map<String, YIntervalSeries> series = new LinkedHashMap<>();
    Map<String, Color> colors = new LinkedHashMap<>();
    Map<String, Boolean> lines = new LinkedHashMap<>();
    define(series, colors, lines, "plain DDIM (N steps)", PLAIN, true);
    define(
        series,
        colors,
        lines,
        "L2C, best DDIM-" + main + " router (" + results.best().config().id() + ")",
        BEST,
        true);
    define(series, colors, lines, "L2C, other DDIM-" + main + " routers", OTHER_L2C, false);
    define(
        series,
        colors,
        lines,
        "L2C, DDIM-" + results.plan().size().longSteps() + " router",
        LONG_L2C,
        false);
    define(series, colors, lines, "same units (not learned)", SAME_UNITS, false);
    define(series, colors, lines, "whole steps (not learned)", WHOLE_STEPS, false);
    List<String> keys = new ArrayList<>(series.keySet());
    for (StudyResults.Entry e : results.entries()) {
      String key;
      if (e.isPlain()) {
        key = keys.get(0);
      } else if (e.isLearned()) {
        boolean best =
            e.config() != null
                && e.config().equals(results.best().config())
                && e.setting().steps() == main;
        key = e.setting().steps() != main ? keys.get(3) : best ? keys.get(1) : keys.get(2);
      } else {
        key = e.setting().method().equals("same-units") ? keys.get(4) : keys.get(5);
      }
      Estimate fid = e.fid();
      double err = fid.hasError() ? fid.standardError() : 0;
      series.get(key).add(e.macs() / 1e9, fid.mean(), fid.mean() - err, fid.mean() + err);
    }
    YIntervalSeriesCollection data = new YIntervalSeriesCollection();
    XYErrorRenderer renderer = new XYErrorRenderer();
    renderer.setDrawXError(false);
    renderer.setCapLength(5);
    int i = 0;
    for (String key : keys) {
      if (series.get(key).getItemCount() == 0) continue;
      data.addSeries(series.get(key));
      renderer.setSeriesPaint(i, colors.get(key));
      renderer.setSeriesLinesVisible(i, lines.get(key));
      renderer.setSeriesStroke(i, new BasicStroke(lines.get(key) ? 2f : 1f));
      renderer.setSeriesShape(
          i,
          key.startsWith("L2C")
              ? new Rectangle2D.Double(-5, -5, 10, 10)
              : new Ellipse2D.Double(-4, -4, 8, 8));
      i++;
    }
    NumberAxis x = new NumberAxis("GMACs per image (the whole sampling run, CFG included)");
    x.setAutoRangeIncludesZero(false);
    NumberAxis y =
        new NumberAxis(
            "FID, mean ± standard error over "
                + results.entries().get(0).setting().requestSets()
                + " request sets (lower is better)");
    y.setAutoRangeIncludesZero(false);
    XYPlot plot = new XYPlot(data, x, y, renderer);
    plot.setBackgroundPaint(Color.WHITE);
    plot.setDomainGridlinePaint(Color.LIGHT_GRAY);
    plot.setRangeGridlinePaint(Color.LIGHT_GRAY);
    JFreeChart chart =
        new JFreeChart(
            "FID vs MACs: " + results.measurement().model(),
            new Font(Font.SANS_SERIF, Font.BOLD, 15),
            plot,
            true);
    chart.setBackgroundPaint(Color.WHITE);
    chart.addSubtitle(
        new TextTitle(
            "every setting on the same request sets; lower-left is better; a learned point below the DDIM line beats"
                + " fewer steps",
            new Font(Font.SANS_SERIF, Font.PLAIN, 12)));
    return chart;
  }

  private static void define(
      Map<String, YIntervalSeries> series,
      Map<String, Color> colors,
      Map<String, Boolean> lines,
      String key,
      Color color,
      boolean line) {
    series.put(key, new YIntervalSeries(key, line, true));
    colors.put(key, color);
    lines.put(key, line);
  }

  /**
   * One panel per router piece: the mean MSE to the full model's output over training, per cache
   * step (log scale), from the curve each router's provenance records.
   */
  static BufferedImage lossCurves(StudyResults results) {
    List<JFreeChart> panels = new ArrayList<>();
    for (StudyPiece p : results.pieces()) {
      if (p.role() != StudyPiece.Role.ROUTER) continue;
      panels.add(lossPanel(p, results.router(p.id())));
    }
    int columns = 2;
    int width = 560;
    int height = 340;
    int rows = (panels.size() + columns - 1) / columns;
    BufferedImage image =
        new BufferedImage(columns * width, Math.max(1, rows) * height, BufferedImage.TYPE_INT_RGB);
    Graphics2D g = image.createGraphics();
    g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
    g.setColor(Color.WHITE);
    g.fillRect(0, 0, image.getWidth(), image.getHeight());
    for (int k = 0; k < panels.size(); k++) {
      panels
          .get(k)
          .draw(
              g,
              new Rectangle2D.Double((k % columns) * width, (k / columns) * height, width, height));
    }
    g.dispose();
    return image;
  }

  @SuppressWarnings("unchecked")
  private static JFreeChart lossPanel(StudyPiece piece, RouterArtifact router) {
    XYSeriesCollection data = new XYSeriesCollection();
    Map<String, Object> loss = (Map<String, Object>) router.provenance().training.get("loss");
    for (Map.Entry<String, Object> step : loss.entrySet()) {
      Map<String, Object> summary = (Map<String, Object>) step.getValue();
      Map<String, Object> curve = (Map<String, Object>) summary.get("curve");
      if (curve == null) continue;
      List<Number> ends = (List<Number>) curve.get("windowEnds");
      List<Number> mse = (List<Number>) curve.get("mse");
      XYSeries s = new XYSeries("cache step " + step.getKey(), false, true);
      for (int i = 0; i < ends.size(); i++) {
        if (mse.get(i).doubleValue() > 0)
          s.add(ends.get(i).doubleValue(), mse.get(i).doubleValue());
      }
      data.addSeries(s);
    }
    NumberAxis x = new NumberAxis("updates");
    x.setAutoRangeIncludesZero(false);
    LogAxis y = new LogAxis("MSE to the full model");
    y.setSmallestValue(1e-7);
    XYLineAndShapeRenderer renderer = new XYLineAndShapeRenderer(true, false);
    XYPlot plot = new XYPlot(data, x, y, renderer);
    plot.setBackgroundPaint(Color.WHITE);
    plot.setDomainGridlinePaint(Color.LIGHT_GRAY);
    plot.setRangeGridlinePaint(Color.LIGHT_GRAY);
    JFreeChart chart =
        new JFreeChart(
            "DDIM-" + piece.steps() + ": " + piece.config().describe(piece.steps()),
            new Font(Font.SANS_SERIF, Font.BOLD, 12),
            plot,
            piece.steps() <= 20);
    chart.setBackgroundPaint(Color.WHITE);
    return chart;
  }

  static void writeFrontier(OutputStream out, StudyResults results) throws IOException {
    org.jfree.chart.ChartUtils.writeChartAsPNG(out, frontier(results), 1000, 650);
  }

  static void writeLossCurves(OutputStream out, StudyResults results) throws IOException {
    ImageIO.write(lossCurves(results), "png", out);
  }
}
