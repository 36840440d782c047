package org.l2cbeam.pipelines.study;

import java.util.Locale;
import org.checkerframework.checker.nullness.qual.Nullable;
import org.l2cbeam.core.router.train.TrainingSettings;

/**
 * How a study router is trained: updates per cache step, AdamW learning rate, and λ (null: the
 * authors' value for the step count, 5e-6 at DDIM-20 and 1e-6 at DDIM-50).
 */
public record RouterConfig(int iterations, double learningRate, @Nullable Double lambda) {
  public RouterConfig {
    if (iterations < 1)
      throw new IllegalArgumentException("router iterations must be positive, got " + iterations);
    if (!(learningRate > 0))
      throw new IllegalArgumentException("learning rate must be positive, got " + learningRate);
    if (lambda != null && !(lambda >= 0))
      throw new IllegalArgumentException("λ must be >= 0, got " + lambda);
  }

  /** File-safe id, e.g. {@code it200-lr0.05} or {@code it200-lr0.05-lambda5e-07}. */
  public String id() {
    String id = "it" + iterations + "-lr" + number(learningRate);
    return lambda == null ? id : id + "-lambda" + number(lambda);
  }

  /** e.g. {@code 200 updates, lr 0.05, λ 5e-06}; the default λ is named for its step count. */
  public String describe(int steps) {
    return String.format(
        Locale.ROOT,
        "%d updates per cache step, lr %s, λ %s",
        iterations,
        number(learningRate),
        lambda == null
            ? number(TrainingSettings.defaultLambda(steps)) + " (default)"
            : number(lambda));
  }

  static String number(double v) {
    String s = String.format(Locale.ROOT, "%.3g", v);
    if (s.contains("e")) return s.replaceAll("\\.?0+e", "e");
    return s.contains(".") ? s.replaceAll("0+$", "").replaceAll("\\.$", "") : s;
  }
}
