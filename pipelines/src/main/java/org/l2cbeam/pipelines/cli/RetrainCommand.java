package org.l2cbeam.pipelines.cli;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.apache.beam.sdk.PipelineResult;
import org.l2cbeam.beam.PipelineProgress;
import org.l2cbeam.pipelines.PipelineLauncher;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Unmatched;

/**
 * {@code l2c retrain}: one round of scheduled retraining on this machine, with the {@code retrain}
 * pipeline on the DirectRunner and a local registry; defaults sized for the bundled Fashion-MNIST
 * DiT on 2 cores. Run it twice and the second run publishes nothing (the same data and settings
 * give the same router bytes).
 */
@Command(
    name = "retrain",
    description = {
      "Train a candidate router, compare it with the registry's latest on fixed probe requests at the same MAC budget,"
          + " and publish it only if FID(candidate) <= FID(latest) + --tolerance; writes retrain-report.json/.md.",
      "It runs the retrain pipeline (l2c pipeline retrain) on the DirectRunner; other pipeline options (--iterations,"
          + " --lambda, --probe-macs-removed, --tolerance, --model, --data, ...) pass through."
    })
final class RetrainCommand implements Callable<Integer> {
  @Option(
      names = "--registry",
      defaultValue = "l2c-routers",
      paramLabel = "DIR|gs://...",
      description = "router registry (default: ${DEFAULT-VALUE})")
  String registry;

  @Option(
      names = "--out",
      defaultValue = "l2c-retrain",
      paramLabel = "DIR",
      description = "report folder (default: ${DEFAULT-VALUE})")
  String out;

  @Unmatched List<String> pipelineArgs = new ArrayList<>();

  /** The embedded default: the bundled DiT and data, a short training, 100 probes at DDIM-20. */
  static Map<String, String> defaults() {
    Map<String, String> d = new LinkedHashMap<>();
    d.put("model", "builtin:fmnist-dit");
    d.put("data", "builtin:fashion-mnist");
    d.put("dataLimit", "2000");
    d.put("samplingSteps", "20");
    d.put("iterations", "10");
    d.put("lr", "5e-2");
    d.put("batch", "16");
    d.put("probeMacsRemoved", "0.25");
    d.put("probeCount", "100");
    return d;
  }

  @Override
  public Integer call() throws Exception {
    List<String> given = PipelineLauncher.optionNames(pipelineArgs);
    List<String> args = new ArrayList<>();
    args.add("--registry=" + registry);
    args.add("--output=" + out);
    defaults()
        .forEach(
            (name, value) -> {
              if (!given.contains(name)) args.add("--" + name + "=" + value);
            });
    args.addAll(pipelineArgs);
    PipelineResult.State state =
        PipelineProgress.to(System.err)
            .tag("[retrain]")
            .every(Duration.ofSeconds(15))
            .watchUntilFinish(PipelineLauncher.start("retrain", args));
    int exit = PipelineCommand.exitCode("retrain", state);
    Path report = Path.of(out, "retrain-report.md");
    if (exit == 0 && Files.exists(report))
      System.out.print(Files.readString(report, StandardCharsets.UTF_8));
    return exit;
  }
}
