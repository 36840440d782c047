package org.l2cbeam.pipelines.report;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.geom.Path2D;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import org.jfree.chart.ChartUtils;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.axis.AxisLocation;
import org.jfree.chart.axis.NumberAxis;
import org.jfree.chart.axis.SymbolAxis;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.xy.XYBlockRenderer;
import org.jfree.chart.renderer.xy.XYLineAndShapeRenderer;
import org.jfree.chart.title.PaintScaleLegend;
import org.jfree.chart.title.TextTitle;
import org.jfree.chart.ui.RectangleEdge;
import org.jfree.data.xy.DefaultXYZDataset;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;
import org.l2cbeam.core.io.AtomicFile;
import org.l2cbeam.core.router.ModelFamily;
import org.l2cbeam.core.router.RouterScores;
import org.l2cbeam.core.router.StepPairing;

/**
 * {@code router-heatmap.png}: the learned router as the paper draws it. One column per cache step,
 * in sampling order (noisiest first), one row per cache unit (attention and MLP of each block),
 * colour = β = sigmoid(p), the weight of the fresh computation. With a threshold θ, the cells the
 * schedule reuses (β ≤ θ) carry a cross, so the picture shows both what was learned and what it
 * costs.
 */
public final class RouterHeatmapChart {
  static {
    System.setProperty("java.awt.headless", "true");
  }

  /**
   * What to draw.
   *
   * @param title chart title
   * @param stepLabels one label per column, in sampling order (e.g. {@code k=18})
   * @param unitLabels one label per row, unit 0 first (e.g. {@code attn 0}, {@code mlp 0})
   * @param beta {@code beta[column][unit]}, each in [0, 1]
   * @param theta the inference threshold to mark, or {@code null}
   */
  public record Input(
      String title,
      List<String> stepLabels,
      List<String> unitLabels,
      double[][] beta,
      Double theta) {
    public Input {
      if (beta.length == 0 || beta.length != stepLabels.size()) {
        throw new IllegalArgumentException(
            "router heatmap: "
                + beta.length
                + " score rows for "
                + stepLabels.size()
                + " step labels");
      }
      for (int c = 0; c < beta.length; c++) {
        if (beta[c].length != unitLabels.size()) {
          throw new IllegalArgumentException(
              "router heatmap: step "
                  + stepLabels.get(c)
                  + " has "
                  + beta[c].length
                  + " scores for "
                  + unitLabels.size()
                  + " units");
        }
        for (double b : beta[c]) {
          if (!(b >= 0 && b <= 1)) {
            throw new IllegalArgumentException(
                "router heatmap: score "
                    + b
                    + " at step "
                    + stepLabels.get(c)
                    + " is not a β in [0, 1]");
          }
        }
      }
      if (theta != null && !(theta > 0 && theta < 1)) {
        throw new IllegalArgumentException("router heatmap: θ must be in (0, 1), got " + theta);
      }
    }
  }

  private RouterHeatmapChart() {}

  /**
   * The cache rows of trained or imported routers, in the order the sampler meets them: DiT visits
   * spaced indices N-1 down to 0, U-ViT its outer steps upwards. Rows that are never cache steps
   * are left out: their logits are never trained nor used.
   */
  public static Input of(RouterScores scores, String title, Double theta) {
    StepPairing pairing = scores.family().pairing();
    int rows = pairing.scheduleRows(scores.nfe());
    List<Integer> order = new java.util.ArrayList<>();
    for (int r = 0; r < rows; r++) {
      if (pairing.isCacheRow(r, rows)) order.add(r);
    }
    if (scores.family() == ModelFamily.DIT) {
      java.util.Collections.reverse(order);
    }
    double[][] beta = new double[order.size()][scores.units()];
    List<String> labels = new java.util.ArrayList<>();
    for (int c = 0; c < order.size(); c++) {
      int row = order.get(c);
      labels.add("k=" + row);
      for (int u = 0; u < scores.units(); u++) {
        beta[c][u] = 1.0 / (1.0 + Math.exp(-(double) scores.logit(pairing.routerRow(row), u)));
      }
    }
    return new Input(title, labels, scores.family().unitNames(scores.units()), beta, theta);
  }

  /** DiT's unit names: unit 2b is the attention of block b, 2b+1 its MLP. */
  public static List<String> ditUnitLabels(int units) {
    return java.util.stream.IntStream.range(0, units)
        .mapToObj(u -> (u % 2 == 0 ? "attn " : "mlp ") + (u / 2))
        .toList();
  }

  public static JFreeChart chart(Input in) {
    int columns = in.beta().length;
    int units = in.unitLabels().size();
    double[][] xyz = new double[3][columns * units];
    XYSeries reused =
        new XYSeries(in.theta() == null ? "reused" : "reused at θ = " + fmt(in.theta()));
    int reusedCount = 0;
    for (int c = 0; c < columns; c++) {
      for (int u = 0; u < units; u++) {
        int i = c * units + u;
        xyz[0][i] = c;
        xyz[1][i] = u;
        xyz[2][i] = in.beta()[c][u];
        if (in.theta() != null && !(in.beta()[c][u] > in.theta())) {
          reused.add(c, u);
          reusedCount++;
        }
      }
    }
    DefaultXYZDataset scores = new DefaultXYZDataset();
    scores.addSeries("β", xyz);

    SymbolAxis stepAxis =
        new SymbolAxis("cache step (sampling order →)", in.stepLabels().toArray(new String[0]));
    stepAxis.setGridBandsVisible(false);
    stepAxis.setLowerMargin(0);
    stepAxis.setUpperMargin(0);
    SymbolAxis unitAxis = new SymbolAxis("cache unit", in.unitLabels().toArray(new String[0]));
    unitAxis.setGridBandsVisible(false);
    unitAxis.setInverted(true);
    unitAxis.setTickLabelFont(new Font(Font.SANS_SERIF, Font.PLAIN, units > 32 ? 8 : 11));

    XYBlockRenderer blocks = new XYBlockRenderer();
    ScoreColors colors = new ScoreColors();
    blocks.setPaintScale(colors);
    blocks.setBlockWidth(1);
    blocks.setBlockHeight(1);
    blocks.setBlockAnchor(org.jfree.chart.ui.RectangleAnchor.CENTER);
    blocks.setDefaultSeriesVisibleInLegend(false);

    XYPlot plot = new XYPlot(scores, stepAxis, unitAxis, blocks);
    stepAxis.setRange(-0.5, columns - 0.5);
    unitAxis.setRange(-0.5, units - 0.5);
    plot.setDomainGridlinesVisible(false);
    plot.setRangeGridlinesVisible(false);
    plot.setBackgroundPaint(Color.WHITE);

    if (in.theta() != null) {
      XYLineAndShapeRenderer crosses = new XYLineAndShapeRenderer(false, true);
      crosses.setSeriesShape(0, cross(units > 32 ? 3 : 5));
      crosses.setSeriesPaint(0, Color.WHITE);
      crosses.setSeriesShapesFilled(0, false);
      crosses.setUseOutlinePaint(false);
      crosses.setDrawOutlines(true);
      crosses.setSeriesStroke(0, new BasicStroke(1.5f));
      plot.setDataset(1, new XYSeriesCollection(reused));
      plot.setRenderer(1, crosses);
      // Crosses on top of the blocks.
      plot.setDatasetRenderingOrder(org.jfree.chart.plot.DatasetRenderingOrder.FORWARD);
    }

    JFreeChart chart =
        new JFreeChart(in.title(), new Font(Font.SANS_SERIF, Font.BOLD, 15), plot, false);
    chart.setBackgroundPaint(Color.WHITE);
    int total = columns * units;
    String sub =
        in.theta() == null
            ? "β = sigmoid(router logit): weight of the fresh computation"
            : String.format(
                Locale.ROOT,
                "β = sigmoid(router logit); a unit is computed iff β > θ = %s; × = reused: %d of %d cells (%.1f%%)",
                fmt(in.theta()),
                reusedCount,
                total,
                100.0 * reusedCount / total);
    chart.addSubtitle(new TextTitle(sub, new Font(Font.SANS_SERIF, Font.PLAIN, 12)));
    NumberAxis legendAxis = new NumberAxis("β");
    legendAxis.setRange(0, 1);
    PaintScaleLegend legend = new PaintScaleLegend(colors, legendAxis);
    legend.setPosition(RectangleEdge.RIGHT);
    legend.setAxisLocation(AxisLocation.TOP_OR_RIGHT);
    legend.setMargin(4, 4, 40, 4);
    legend.setStripWidth(14);
    chart.addSubtitle(legend);
    return chart;
  }

  /** Writes the chart as a PNG sized to the grid, atomically. */
  public static void write(Path png, Input in) throws IOException {
    AtomicFile.write(png, out -> write(out, in));
  }

  /** The chart as PNG bytes on {@code out} (not closed). */
  public static void write(java.io.OutputStream out, Input in) throws IOException {
    int width = Math.max(640, 170 + 46 * in.beta().length);
    int height =
        Math.max(480, 170 + (in.unitLabels().size() > 32 ? 12 : 24) * in.unitLabels().size());
    ChartUtils.writeChartAsPNG(out, chart(in), width, height);
  }

  private static java.awt.Shape cross(double r) {
    Path2D.Double p = new Path2D.Double();
    p.moveTo(-r, -r);
    p.lineTo(r, r);
    p.moveTo(-r, r);
    p.lineTo(r, -r);
    return p;
  }

  private static String fmt(double v) {
    return String.format(Locale.ROOT, "%.3g", v);
  }
}
