package org.l2cbeam.core.router.train;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;

/**
 * A compact summary of a run's loss curve for the artifact: the mean loss, MSE and L1 over the
 * first and last tenth of the run, the minimum, the mean MSE of the last tenth per cache step (the
 * high-noise steps reach far lower errors than the low-noise ones, so a single number hides what
 * each router learned), and the curve itself at {@value #CURVE_POINTS} points (mean MSE and L1 of
 * equal windows), enough to see whether training had converged.
 */
public final class LossCurveSummary {
  /** Windows of the stored curve (fewer for shorter runs: one iteration per window). */
  public static final int CURVE_POINTS = 20;

  private final Map<String, Object> values;

  private LossCurveSummary(Map<String, Object> values) {
    this.values = values;
  }

  public static LossCurveSummary of(TrainingHistory h) {
    Map<String, Object> m = new LinkedHashMap<>();
    int n = h.size();
    m.put("iterations", n);
    if (n == 0) return new LossCurveSummary(m);
    int tenth = Math.max(1, n / 10);
    float[] loss = h.loss();
    float[] mse = h.dataLoss();
    float[] l1 = h.l1();
    m.put("firstTenth", window(loss, mse, l1, 0, tenth));
    m.put("lastTenth", window(loss, mse, l1, n - tenth, n));
    double min = Double.POSITIVE_INFINITY;
    for (float v : loss) min = Math.min(min, v);
    m.put("minLoss", min);
    int[] ks = h.cacheStep();
    Map<Integer, double[]> perStep = new TreeMap<>();
    for (int i = n - tenth; i < n; i++) {
      double[] acc = perStep.computeIfAbsent(ks[i], k -> new double[2]);
      acc[0] += mse[i];
      acc[1]++;
    }
    Map<String, Double> lastMsePerStep = new LinkedHashMap<>();
    perStep.forEach((k, acc) -> lastMsePerStep.put(Integer.toString(k), acc[0] / acc[1]));
    m.put("lastTenthMsePerCacheStep", lastMsePerStep);
    m.put("curve", curve(mse, l1));
    return new LossCurveSummary(m);
  }

  /**
   * Mean MSE and L1 over {@link #CURVE_POINTS} equal windows; window w covers iterations [w n / W,
   * (w+1) n / W).
   */
  private static Map<String, Object> curve(float[] mse, float[] l1) {
    int n = mse.length;
    int points = Math.min(CURVE_POINTS, n);
    double[] mseMeans = new double[points];
    double[] l1Means = new double[points];
    long[] ends = new long[points];
    for (int w = 0; w < points; w++) {
      int from = (int) ((long) w * n / points);
      int to = (int) ((long) (w + 1) * n / points);
      mseMeans[w] = TrainingHistory.mean(mse, from, to);
      l1Means[w] = TrainingHistory.mean(l1, from, to);
      ends[w] = to;
    }
    Map<String, Object> c = new LinkedHashMap<>();
    c.put("windowEnds", ends);
    c.put("mse", mseMeans);
    c.put("l1", l1Means);
    return c;
  }

  private static Map<String, Object> window(
      float[] loss, float[] mse, float[] l1, int from, int to) {
    Map<String, Object> w = new LinkedHashMap<>();
    w.put("from", from);
    w.put("to", to);
    w.put("loss", TrainingHistory.mean(loss, from, to));
    w.put("mse", TrainingHistory.mean(mse, from, to));
    w.put("l1", TrainingHistory.mean(l1, from, to));
    return w;
  }

  public Map<String, Object> toMap() {
    return values;
  }
}
