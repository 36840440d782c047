package org.l2cbeam.pipelines.cli;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import org.apache.beam.sdk.PipelineResult;
import org.l2cbeam.beam.CachedSample;
import org.l2cbeam.beam.ComputeFID;
import org.l2cbeam.beam.PipelineProgress;
import org.l2cbeam.beam.TrainRouter;
import org.l2cbeam.pipelines.PipelineLauncher;
import org.l2cbeam.pipelines.benchmark.BenchmarkOptions;
import org.l2cbeam.pipelines.benchmark.BenchmarkPipeline;
import org.l2cbeam.pipelines.demo.DemoSize;
import org.l2cbeam.pipelines.report.BenchmarkReport;
import org.l2cbeam.pipelines.report.ReportJson;
import org.l2cbeam.pipelines.report.ReportMarkdown;
import org.l2cbeam.pipelines.study.StudyPlan;
import org.l2cbeam.pipelines.study.StudyRunner;
import org.l2cbeam.pipelines.study.StudySize;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code l2c demo}: the README's main job, the L2C study on the bundled Fashion-MNIST DiT: the
 * {@code benchmark} pipeline on the DirectRunner with a preset sized for 2 cores.
 */
@Command(
    name = "demo",
    description = {
      "Train L2C routers for the bundled Fashion-MNIST DiT, sample the same requests with plain DDIM and with the"
          + " learned cache, and write FID, latency, sample grids and plots into one folder.",
      "It runs the benchmark pipeline (l2c pipeline benchmark) on the DirectRunner. --quick: the same pipeline,"
          + " tiny sizes, for smoke tests."
    })
final class DemoCommand implements Callable<Integer> {
  @Option(names = "--quick", description = "tiny router training and few samples (smoke test)")
  boolean quick;

  @Option(
      names = "--out",
      defaultValue = "demo-out",
      paramLabel = "DIR",
      description = "output folder (default: ${DEFAULT-VALUE})")
  Path out;

  @Option(
      names = "--samples",
      paramLabel = "N",
      description = "requests per setting, a multiple of 10 (default 300; --quick 20)")
  Integer samples;

  @Option(
      names = "--train-iterations",
      paramLabel = "N",
      description =
          "router training iterations per cache step (default 200, the study's best; --quick 2)")
  Integer trainIterations;

  @Option(
      names = "--ddim50",
      negatable = true,
      description = "also train and sample DDIM-50 (plain and cached)")
  Boolean ddim50;

  @Option(
      names = "--lambda",
      paramLabel = "L",
      description =
          "router L1 weight λ (default 5e-5, the study's best at DDIM-20; with --ddim50 or --quick the authors'"
              + " value per step count, 5e-6 for DDIM-20, 1e-6 for DDIM-50)")
  Double lambda;

  @Option(
      names = "--seed",
      defaultValue = "0",
      paramLabel = "S",
      description = "seed of the requests and the training")
  long seed;

  @Option(
      names = "--study",
      description =
          "run the L2C study instead (about 80 minutes on 2 idle cores; resumable): where L2C beats plain"
              + " DDIM with fewer steps at the same MACs, over training budget, learning rate, λ, DDIM-20 and DDIM-50,"
              + " the θ frontier and non-learned schedules, with error bars from repeated request sets; with --quick,"
              + " the same pieces at toy sizes")
  boolean study;

  @Option(
      names = "--max-pieces",
      paramLabel = "N",
      description =
          "with --study: run at most N unfinished pieces, then stop (run again to continue)")
  Integer maxPieces;

  @Override
  public Integer call() throws Exception {
    if (study) {
      if (samples != null
          || trainIterations != null
          || ddim50 != null
          || lambda != null
          || seed != 0) {
        throw new IllegalArgumentException(
            "--study: the study's sizes are fixed (see its report); --samples, --train-iterations, --ddim50, --lambda"
                + " and --seed apply to the demo only");
      }
      StudyPlan plan = new StudyPlan(quick ? StudySize.QUICK : StudySize.FULL, out);
      new StudyRunner(plan, System.err, System.out).run(maxPieces == null ? -1 : maxPieces);
      return 0;
    }
    if (maxPieces != null) throw new IllegalArgumentException("--max-pieces: only with --study");
    DemoSize size = quick ? DemoSize.QUICK : DemoSize.DEFAULT;
    if (samples != null) size = size.withSamples(samples);
    if (trainIterations != null) size = size.withTrainIterations(trainIterations);
    if (ddim50 != null) size = size.withDdim50(ddim50);
    if (lambda != null) size = size.withLambda(lambda);
    Path dir = out.toAbsolutePath().normalize();
    List<String> args = size.benchmarkArgs(dir, seed);
    System.err.println("[demo] l2c pipeline benchmark " + String.join(" ", args));
    BenchmarkOptions options =
        PipelineLauncher.options("benchmark", args).as(BenchmarkOptions.class);
    long images =
        (long) options.getSamplesPerSetting()
            * options.getRequestSets()
            * BenchmarkPipeline.sampledSettingNames(options).size();
    PipelineResult.State state =
        PipelineProgress.to(System.err)
            .summaryTo(System.out)
            .tag("[demo]")
            .every(java.time.Duration.ofSeconds(quick ? 5 : 15))
            .expect(
                TrainRouter.class,
                "iterations",
                "router iterations",
                BenchmarkPipeline.trainingIterations(options))
            .expect(CachedSample.class, "images", "images sampled", images)
            .expect(ComputeFID.class, "imagesFeaturised", "images scored", images)
            .watchUntilFinish(PipelineLauncher.start("benchmark", args));
    if (state != PipelineResult.State.DONE) {
      throw new IllegalStateException("the benchmark pipeline ended " + state);
    }
    BenchmarkReport report = ReportJson.read(dir.resolve("report.json"));
    var stdout = System.out;
    stdout.println();
    stdout.println(ReportMarkdown.table(report));
    stdout.println("l2c demo: outputs in " + dir);
    stdout.println(
        "  report.md, report.json, router-heatmap.png, fid-vs-latency.png, router-ddim*.json,");
    stdout.println(
        "  samples-<setting>.png for "
            + String.join(", ", report.settings().stream().map(s -> s.name()).toList()));
    return 0;
  }
}
