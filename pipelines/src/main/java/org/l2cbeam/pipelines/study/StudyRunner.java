package org.l2cbeam.pipelines.study;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.apache.beam.sdk.PipelineResult;
import org.l2cbeam.beam.CachedSample;
import org.l2cbeam.beam.ComputeFID;
import org.l2cbeam.beam.PipelineProgress;
import org.l2cbeam.beam.TrainRouter;
import org.l2cbeam.core.io.AtomicFile;
import org.l2cbeam.pipelines.PipelineLauncher;
import org.l2cbeam.pipelines.PipelineOutputs;
import org.l2cbeam.pipelines.benchmark.BenchmarkOptions;
import org.l2cbeam.pipelines.benchmark.BenchmarkPipeline;
import org.l2cbeam.pipelines.report.BenchmarkReport;
import org.l2cbeam.pipelines.report.ReportJson;

/**
 * Runs a {@link StudyPlan}: every piece that has not finished with the same options, then the
 * frontier of the best router, then the redundancy between paired steps ({@link StudyRedundancy}),
 * then the report. Resumable: a piece whose folder holds the success marker of a run with the same
 * options ({@code pieces/<id>.args}) is not run again, so an interrupted study continues where it
 * stopped, and {@code maxPieces} lets a caller run it in slices (e.g. between measurements on a
 * shared machine).
 */
public final class StudyRunner {
  private final StudyPlan plan;
  private final PrintStream log;
  private final PrintStream summary;

  public StudyRunner(StudyPlan plan, PrintStream log, PrintStream summary) {
    this.plan = plan;
    this.log = log;
    this.summary = summary;
  }

  /**
   * Runs at most {@code maxPieces} unfinished pieces (all when negative); writes the report when
   * every piece has finished. Returns true when the study is complete.
   */
  public boolean run(int maxPieces) throws IOException {
    int budget = maxPieces < 0 ? Integer.MAX_VALUE : maxPieces;
    List<StudyPiece> screening = plan.screening();
    for (StudyPiece piece : screening) {
      if (isDone(piece)) continue;
      if (budget-- <= 0) return stopped();
      runPiece(piece);
    }
    StudyPiece frontier = plan.frontier(best(plan, screening));
    if (!isDone(frontier)) {
      if (budget-- <= 0) return stopped();
      runPiece(frontier);
    }
    List<StudyPiece> all = new ArrayList<>(screening);
    all.add(frontier);
    new StudyRedundancy(plan).measureMissing(summary);
    StudyReport.write(plan, all);
    summary.println("l2c demo --study: report in " + plan.out().resolve(StudyReport.MARKDOWN));
    return true;
  }

  private boolean stopped() {
    summary.println(
        "l2c demo --study: stopped after the requested pieces; run the same command again to continue");
    return false;
  }

  /**
   * The screened router of the main step count with the lowest mean paired Δ FID over the screening
   * budgets.
   */
  static StudyPiece best(StudyPlan plan, List<StudyPiece> screening) throws IOException {
    StudyPiece best = null;
    double bestScore = Double.POSITIVE_INFINITY;
    for (StudyPiece p : screening) {
      if (p.role() != StudyPiece.Role.ROUTER || p.steps() != plan.size().mainSteps()) continue;
      BenchmarkReport r = ReportJson.read(plan.folder(p.id()).resolve("report.json"));
      double score =
          r.settings().stream()
              .filter(s -> s.isLearned())
              .mapToDouble(s -> r.pairedDifference(s).orElseThrow().mean())
              .average()
              .orElseThrow();
      if (score < bestScore) {
        bestScore = score;
        best = p;
      }
    }
    if (best == null)
      throw new IllegalStateException("the study plan has no router piece at its main step count");
    return best;
  }

  /** True if {@code piece} finished with exactly its current options. */
  boolean isDone(StudyPiece piece) throws IOException {
    Path marker = plan.folder(piece.id()).resolve(PipelineOutputs.MARKER);
    Path args = argsFile(piece);
    return Files.isRegularFile(marker)
        && Files.isRegularFile(args)
        && Files.readString(args, StandardCharsets.UTF_8).equals(argsText(piece));
  }

  private void runPiece(StudyPiece piece) throws IOException {
    Files.createDirectories(plan.out().resolve(StudyPlan.PIECES));
    AtomicFile.writeString(argsFile(piece), argsText(piece));
    log.println(
        "[study] piece "
            + piece.id()
            + ": l2c pipeline benchmark "
            + String.join(" ", piece.args()));
    long start = System.nanoTime();
    BenchmarkOptions options =
        PipelineLauncher.options("benchmark", piece.args()).as(BenchmarkOptions.class);
    long images =
        (long) options.getSamplesPerSetting()
            * options.getRequestSets()
            * BenchmarkPipeline.sampledSettingNames(options).size();
    PipelineResult.State state =
        PipelineProgress.to(log)
            .tag("[study " + piece.id() + "]")
            .every(Duration.ofSeconds(30))
            .expect(
                TrainRouter.class,
                "iterations",
                "router iterations",
                BenchmarkPipeline.trainingIterations(options))
            .expect(CachedSample.class, "images", "images sampled", images)
            .expect(ComputeFID.class, "imagesFeaturised", "images scored", images)
            .watchUntilFinish(PipelineLauncher.start("benchmark", piece.args()));
    if (state != PipelineResult.State.DONE) {
      throw new IllegalStateException(
          "study piece " + piece.id() + ": the benchmark pipeline ended " + state);
    }
    summary.printf(
        java.util.Locale.ROOT,
        "[study] piece %s done in %.0f s%n",
        piece.id(),
        (System.nanoTime() - start) / 1e9);
  }

  private Path argsFile(StudyPiece piece) {
    return plan.out().resolve(StudyPlan.PIECES).resolve(piece.id() + ".args");
  }

  private static String argsText(StudyPiece piece) {
    return String.join("\n", piece.args()) + "\n";
  }
}
