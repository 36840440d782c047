package org.l2cbeam.pipelines.study;

import java.util.List;

/**
 * The dimensions of a study. {@link #FULL} is the documented study on the bundled model (about 80
 * minutes on 2 idle cores); {@link #QUICK} is the same study shrunk to seconds per piece, for
 * tests.
 *
 * @param requestSets request sets (seed blocks) per setting: each gets its own FID, for error bars
 * @param perSet requests per set (FID needs more than the 128 feature dimensions)
 * @param modelBatch requests per model call
 * @param trainBatch router training examples per update
 * @param mainSteps the main DDIM step count (the demo's)
 * @param screenBudgets fractions of MACs removed at which every router configuration and the
 *     non-learned schedules are compared with plain DDIM
 * @param frontierBudgets further fractions at which the best router configuration is sampled, for
 *     the θ frontier
 * @param mainConfigs router configurations screened at the main step count: training budget,
 *     learning rate, λ
 * @param longSteps the long DDIM run, with more redundancy between adjacent steps
 * @param longBudgets fractions of MACs removed for the long run's router and its non-learned
 *     schedule
 * @param longConfig the router configuration of the long run
 * @param redundancySamples requests on which the redundancy between paired steps is measured, at
 *     both step counts
 */
public record StudySize(
    String name,
    int requestSets,
    int perSet,
    int modelBatch,
    int trainBatch,
    int mainSteps,
    List<Double> screenBudgets,
    List<Double> frontierBudgets,
    List<RouterConfig> mainConfigs,
    int longSteps,
    List<Double> longBudgets,
    RouterConfig longConfig,
    int redundancySamples) {

  public StudySize {
    screenBudgets = List.copyOf(screenBudgets);
    frontierBudgets = List.copyOf(frontierBudgets);
    mainConfigs = List.copyOf(mainConfigs);
    longBudgets = List.copyOf(longBudgets);
    if (redundancySamples < 1) {
      throw new IllegalArgumentException(
          "redundancy samples must be positive, got " + redundancySamples);
    }
  }

  /**
   * The study of the README: 4 sets of 150 requests; at DDIM-20 the demo's training (40 updates at
   * lr 5e-2), 200 updates at 5e-2, the paper's learning rate 1e-3 at 200 and 1 000 updates, and λ a
   * decade either side of the paper's 5e-6 (at 200 updates, 5e-2); at DDIM-50 200 updates at 5e-2
   * with the paper's λ 1e-6. Budgets 20% and 40% for every configuration, 10%, 30% and 49% (about
   * all that caching can remove) for the best one. The redundancy between paired steps on 64
   * requests (128 model rows with guidance).
   */
  public static final StudySize FULL =
      new StudySize(
          "full",
          4,
          150,
          150,
          8,
          20,
          List.of(0.2, 0.4),
          List.of(0.1, 0.3, 0.49),
          List.of(
              new RouterConfig(40, 0.05, null),
              new RouterConfig(200, 0.05, null),
              new RouterConfig(200, 0.05, 5e-7),
              new RouterConfig(200, 0.05, 5e-5),
              new RouterConfig(200, 1e-3, null),
              new RouterConfig(1000, 1e-3, null)),
          50,
          List.of(0.2, 0.4),
          new RouterConfig(200, 0.05, null),
          64);

  /**
   * The same pieces at toy sizes (6 and 10 steps, 2 sets of 10 requests, 2-4 updates, redundancy on
   * 4 requests): seconds per piece.
   */
  public static final StudySize QUICK =
      new StudySize(
          "quick",
          2,
          10,
          10,
          4,
          6,
          List.of(0.2, 0.4),
          List.of(0.3),
          List.of(new RouterConfig(2, 0.05, null), new RouterConfig(4, 0.05, null)),
          10,
          List.of(0.4),
          new RouterConfig(2, 0.05, null),
          4);
}
