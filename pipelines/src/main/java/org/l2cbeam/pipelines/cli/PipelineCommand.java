package org.l2cbeam.pipelines.cli;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.metrics.MetricQueryResults;
import org.apache.beam.sdk.metrics.MetricResult;
import org.apache.beam.sdk.metrics.MetricsFilter;
import org.l2cbeam.pipelines.PipelineLauncher;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Unmatched;

/** {@code l2c pipeline NAME [--runner=DirectRunner|FlinkRunner] [options]}: runs one of the Beam pipelines. */
@Command(
    name = "pipeline",
    description = {
      "Runs a Beam pipeline: sample, evaluate, train-router or benchmark. Options are the pipeline's PipelineOptions,",
      "as --name=value or --name value (kebab-case accepted), plus Beam's --runner (DirectRunner by default;",
      "FlinkRunner with --flinkMaster=[local] needs a -Pflink build)."
    })
public final class PipelineCommand implements Callable<Integer> {
  @Parameters(index = "0", arity = "0..1", description = "pipeline name: ${COMPLETION-CANDIDATES}", paramLabel = "NAME")
  String name;

  @Option(names = {"-h", "--help"}, description = "Show this help; after NAME, also that pipeline's options.")
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
        System.out.println("Options of the " + name + " pipeline (--name=value; kebab-case accepted):");
        PipelineOptionsFactory.printHelp(System.out, options);
      }
      return 0;
    }
    if (name == null) {
      throw new IllegalArgumentException("give a pipeline name: " + PipelineLauncher.pipelines().keySet());
    }
    long start = System.nanoTime();
    PipelineResult result = PipelineLauncher.run(name, args);
    double seconds = (System.nanoTime() - start) / 1e9;
    System.out.printf("pipeline %s: %s in %.1f s%n", name, result.getState(), seconds);
    try {
      MetricQueryResults metrics = result.metrics().queryMetrics(MetricsFilter.builder().build());
      for (MetricResult<Long> c : metrics.getCounters()) {
        if (c.getName().getNamespace().startsWith("org.l2cbeam")) {
          System.out.printf("  %s.%s = %d%n", simple(c.getName().getNamespace()), c.getName().getName(),
              c.getAttempted());
        }
      }
    } catch (UnsupportedOperationException e) {
      // some runners do not report metrics
    }
    return 0;
  }

  private static String simple(String namespace) {
    return namespace.substring(namespace.lastIndexOf('.') + 1);
  }
}
