package org.l2cbeam.pipelines.cli;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.l2cbeam.beam.PipelineProgress;
import org.l2cbeam.pipelines.PipelineLauncher;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Unmatched;

/**
 * {@code l2c pipeline NAME [--runner=DirectRunner|FlinkRunner] [options]}: runs one of the Beam
 * pipelines, with its progress on stderr, then its final state and metrics (counters, gauges,
 * distributions) on stdout. Exits 1 when the pipeline did not end DONE.
 */
@Command(
    name = "pipeline",
    description = {
      "Runs a Beam pipeline: sample, evaluate, train-router, benchmark or retrain. Options are the pipeline's",
      "PipelineOptions, as --name=value or --name value (kebab-case accepted), plus Beam's --runner (DirectRunner by default;",
      "FlinkRunner with --flinkMaster=[local] needs a -Pflink build). Progress goes to stderr every 15 s; the final",
      "state and metrics (counters, router loss and it/s per cache step, distributions) to stdout."
    })
public final class PipelineCommand implements Callable<Integer> {
  @Parameters(
      index = "0",
      arity = "0..1",
      description = "pipeline name: ${COMPLETION-CANDIDATES}",
      paramLabel = "NAME")
  String name;

  @Option(
      names = {"-h", "--help"},
      description = "Show this help; after NAME, also that pipeline's options.")
  boolean help;

  @Unmatched List<String> args = new ArrayList<>();

  @Spec CommandSpec spec;

  @Override
  public Integer call() {
    if (help) {
      var options = name == null ? null : PipelineLauncher.entry(name).options;
      spec.commandLine().usage(System.out);
      if (options != null) {
        System.out.println();
        System.out.println(
            "Options of the " + name + " pipeline (--name=value; kebab-case accepted):");
        PipelineOptionsFactory.printHelp(System.out, options);
      }
      return 0;
    }
    if (name == null) {
      throw new IllegalArgumentException(
          "give a pipeline name: " + PipelineLauncher.pipelines().keySet());
    }
    PipelineResult.State state =
        PipelineProgress.to(System.err)
            .summaryTo(System.out)
            .tag("[" + name + "]")
            .every(Duration.ofSeconds(15))
            .watchUntilFinish(PipelineLauncher.start(name, args));
    return exitCode(name, state);
  }

  /** 0 for DONE; otherwise says how the pipeline ended, on stderr, and returns 1. */
  static int exitCode(String name, PipelineResult.State state) {
    if (state == PipelineResult.State.DONE) return 0;
    System.err.println("l2c pipeline " + name + ": the pipeline ended " + state + ", not DONE");
    return 1;
  }
}
