package org.l2cbeam.pipelines.report;

import java.awt.Color;
import java.awt.Paint;
import org.jfree.chart.renderer.PaintScale;

/**
 * The viridis colour map over [0, 1] as a JFreeChart {@link PaintScale}: perceptually uniform and
 * readable in grey, so a router score of 0.3 looks a third of the way up whatever the reader's
 * screen or printer.
 */
final class ScoreColors implements PaintScale, java.io.Serializable {
  private static final long serialVersionUID = 1L;

  /** Viridis sampled at 0, 0.125, ..., 1 (matplotlib's table). */
  private static final int[][] ANCHORS = {
    {68, 1, 84},
    {71, 44, 122},
    {59, 81, 139},
    {44, 113, 142},
    {33, 144, 141},
    {39, 173, 129},
    {92, 200, 99},
    {170, 220, 50},
    {253, 231, 37},
  };

  @Override
  public double getLowerBound() {
    return 0;
  }

  @Override
  public double getUpperBound() {
    return 1;
  }

  @Override
  public Paint getPaint(double value) {
    double v = Double.isNaN(value) ? 0 : Math.max(0, Math.min(1, value));
    double pos = v * (ANCHORS.length - 1);
    int i = Math.min((int) pos, ANCHORS.length - 2);
    double w = pos - i;
    int[] a = ANCHORS[i];
    int[] b = ANCHORS[i + 1];
    return new Color(
        (int) Math.round(a[0] + w * (b[0] - a[0])),
        (int) Math.round(a[1] + w * (b[1] - a[1])),
        (int) Math.round(a[2] + w * (b[2] - a[2])));
  }
}
