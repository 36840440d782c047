package org.l2cbeam.core.router.train;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;

/**
 * A compact summary of a run's loss curve for the artifact: the mean loss, MSE and L1 over the first and last tenth
 * of the run, the minimum, and the mean MSE of the last tenth per cache step (the high-noise steps reach far lower
 * errors than the low-noise ones, so a single number hides what each router learned).
 */
public final class LossCurveSummary {
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
    return new LossCurveSummary(m);
  }

  private static Map<String, Object> window(float[] loss, float[] mse, float[] l1, int from, int to) {
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
