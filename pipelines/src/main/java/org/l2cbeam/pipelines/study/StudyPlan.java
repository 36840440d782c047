package org.l2cbeam.pipelines.study;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.stream.Collectors;
import org.l2cbeam.pipelines.benchmark.BenchmarkPipeline;

/**
 * The pieces of a study, in the order they run, as {@code benchmark} pipeline options. Every piece
 * samples the same request sets under the same conditions, so any two settings of the study compare
 * set by set; router pieces take their plain partners from the baselines piece of their step count
 * ({@code --known-results}) instead of sampling them again, and all routers checkpoint into one
 * folder, so a configuration with more updates at the same learning rate and λ continues the one
 * before it.
 */
public final class StudyPlan {
  static final String PIECES = "pieces";
  static final String CHECKPOINTS = "checkpoints";

  /** The model every piece samples. */
  static final String MODEL = "builtin:fmnist-dit";

  /** The guidance weight of every piece. */
  static final double CFG_SCALE = 1.5;

  private final StudySize size;
  private final Path out;

  public StudyPlan(StudySize size, Path out) {
    this.size = size;
    this.out = out.toAbsolutePath().normalize();
  }

  public StudySize size() {
    return size;
  }

  public Path out() {
    return out;
  }

  /** Where piece {@code id} writes its outputs. */
  public Path folder(String id) {
    return out.resolve(PIECES).resolve(id);
  }

  /**
   * Every piece that does not depend on another's results, in running order; then {@link
   * #frontier}.
   */
  public List<StudyPiece> screening() {
    List<StudyPiece> pieces = new ArrayList<>();
    int main = size.mainSteps();
    List<Integer> frontierPartners =
        size.frontierBudgets().stream()
            .map(r -> BenchmarkPipeline.equalCostSteps(main, r))
            .distinct()
            .toList();
    pieces.add(baselines(main, "same-units,whole-steps", size.screenBudgets(), frontierPartners));
    for (RouterConfig c : size.mainConfigs()) pieces.add(router(main, c, size.screenBudgets()));
    int longRun = size.longSteps();
    double uniformBudget = size.longBudgets().get(size.longBudgets().size() - 1);
    List<Integer> longPartners =
        size.longBudgets().stream()
            .map(r -> BenchmarkPipeline.equalCostSteps(longRun, r))
            .distinct()
            .toList();
    pieces.add(baselines(longRun, "whole-steps", List.of(uniformBudget), longPartners));
    pieces.add(router(longRun, size.longConfig(), size.longBudgets()));
    return pieces;
  }

  /**
   * The θ frontier of the main step count's best router ({@code best}, a screened router piece).
   */
  public StudyPiece frontier(StudyPiece best) {
    int main = size.mainSteps();
    List<String> args = common(main, "frontier-ddim" + main);
    args.add("--methods=l2c");
    args.add("--macsRemoved=" + list(size.frontierBudgets()));
    args.add("--routers=" + folder(best.id()).resolve("router-ddim" + main + ".json"));
    args.add("--knownResults=" + baselinesReport(main));
    return new StudyPiece("frontier-ddim" + main, StudyPiece.Role.FRONTIER, main, null, args);
  }

  private StudyPiece baselines(
      int steps, String methods, List<Double> budgets, List<Integer> extraPlain) {
    String id = "baselines-ddim" + steps;
    List<String> args = common(steps, id);
    args.add("--methods=" + methods);
    args.add("--macsRemoved=" + list(budgets));
    args.add(
        "--plainSteps="
            + extraPlain.stream().map(String::valueOf).collect(Collectors.joining(",")));
    return new StudyPiece(id, StudyPiece.Role.BASELINES, steps, null, args);
  }

  private StudyPiece router(int steps, RouterConfig c, List<Double> budgets) {
    String id = "l2c-ddim" + steps + "-" + c.id();
    List<String> args = common(steps, id);
    args.add("--methods=l2c");
    args.add("--macsRemoved=" + list(budgets));
    args.add("--trainData=builtin:fashion-mnist");
    args.add("--trainIterations=" + c.iterations());
    args.add("--trainBatch=" + size.trainBatch());
    args.add("--trainLr=" + c.learningRate());
    if (c.lambda() != null) args.add("--lambda=" + c.lambda());
    args.add("--knownResults=" + baselinesReport(steps));
    return new StudyPiece(id, StudyPiece.Role.ROUTER, steps, c, args);
  }

  Path baselinesReport(int steps) {
    return folder("baselines-ddim" + steps).resolve("report.json");
  }

  private List<String> common(int steps, String id) {
    return new ArrayList<>(
        List.of(
            "--runner=DirectRunner",
            "--model=" + MODEL,
            "--stepCounts=" + steps,
            "--requestSets=" + size.requestSets(),
            "--samplesPerSetting=" + size.perSet(),
            "--seed=0",
            "--cfgScale=" + CFG_SCALE,
            "--modelBatch=" + size.modelBatch(),
            "--referenceStats=builtin:fmnist-test-stats",
            "--extractor=fmnist",
            "--tempLocation=" + out.resolve(CHECKPOINTS),
            "--output=" + folder(id)));
  }

  private static String list(List<Double> values) {
    return values.stream()
        .map(v -> String.format(Locale.ROOT, "%s", v))
        .collect(Collectors.joining(","));
  }
}
