package org.l2cbeam.pipelines.cli;

import static org.l2cbeam.pipelines.cli.BenchMeasures.MODEL_CALL_THREADS;
import static org.l2cbeam.pipelines.cli.BenchMeasures.alternated;
import static org.l2cbeam.pipelines.cli.BenchMeasures.processCpuSeconds;
import static org.l2cbeam.pipelines.cli.BenchMeasures.threadCpuSeconds;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.DoubleAdder;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.metrics.MetricNameFilter;
import org.apache.beam.sdk.metrics.MetricResult;
import org.apache.beam.sdk.metrics.MetricsFilter;
import org.l2cbeam.beam.BatchSampler;
import org.l2cbeam.beam.CachedSample;
import org.l2cbeam.beam.SampleRequest;
import org.l2cbeam.beam.SamplingSettings;
import org.l2cbeam.core.model.DiT;
import org.l2cbeam.core.model.DiTLoader;
import org.l2cbeam.core.runtime.Torch;
import org.l2cbeam.pipelines.PipelineLauncher;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code l2c bench beam}: CachedSample's throughput inside the {@code sample} pipeline
 * (DirectRunner, in this process) against the bare sampler loop on the same requests, as a ratio.
 * One untimed pipeline run first loads the model, so both sides have a warm JVM and a loaded model;
 * then bare and pipeline runs alternate ABBA for {@code --rounds} rounds and the means count. The
 * pipeline's time includes everything else it does (checkpoint validation, grouping into batches,
 * coders, writing samples.npz and samples.png).
 *
 * <p>{@code --reruns N} measures something else: the same pipeline run N times in this JVM, as a
 * notebook does, and each run's wall and CPU seconds (the whole process, and the model-call threads
 * with their OpenMP workers). Run 1 includes loading the model. Nothing else touches libtorch in
 * this mode, so the JVM's native threads are exactly the pipelines' own.
 */
@Command(
    name = "beam",
    mixinStandardHelpOptions = true,
    description =
        "CachedSample in a pipeline vs the bare sampler loop, same requests: images/s and ratio.")
final class BenchBeamCommand implements Callable<Integer> {
  @Option(
      names = "--model",
      defaultValue = "builtin:fmnist-dit",
      description = "DiT checkpoint (default ${DEFAULT-VALUE})")
  String model;

  @Option(
      names = "--images",
      defaultValue = "32",
      description = "requests (default ${DEFAULT-VALUE})")
  int images;

  @Option(
      names = "--steps",
      defaultValue = "20",
      description = "DDIM steps (default ${DEFAULT-VALUE})")
  int steps;

  @Option(
      names = "--cfg-scale",
      defaultValue = "1.5",
      description = "guidance scale (default ${DEFAULT-VALUE})")
  double cfgScale;

  @Option(
      names = "--batch-size",
      defaultValue = "8",
      description = "requests per batch (default ${DEFAULT-VALUE})")
  int batchSize;

  @Option(
      names = "--runner-args",
      split = " ",
      description = "extra Beam options for the pipeline, e.g. --targetParallelism=1")
  List<String> runnerArgs = new ArrayList<>();

  @Option(
      names = "--rounds",
      defaultValue = "2",
      description = "alternating bare/pipeline rounds (default ${DEFAULT-VALUE})")
  int rounds;

  @Option(
      names = "--reruns",
      defaultValue = "0",
      paramLabel = "N",
      description =
          "instead: run the same pipeline N times in this JVM and print each run's wall and CPU seconds")
  int reruns;

  /**
   * Runs the sample pipeline; returns CachedSample's summed sampling time in seconds (its
   * samplingMicros).
   */
  private static double runPipeline(List<String> args) {
    PipelineResult r = PipelineLauncher.run("sample", args);
    if (r.getState() != PipelineResult.State.DONE)
      throw new IllegalStateException("pipeline ended " + r.getState());
    long micros = 0;
    for (MetricResult<Long> c :
        r.metrics()
            .queryMetrics(
                MetricsFilter.builder()
                    .addNameFilter(MetricNameFilter.named(CachedSample.class, "samplingMicros"))
                    .build())
            .getCounters()) {
      micros += c.getAttempted();
    }
    return micros / 1e6;
  }

  @Override
  public Integer call() throws Exception {
    if (rounds < 1) throw new IllegalArgumentException("--rounds must be >= 1, got " + rounds);
    if (reruns < 0) throw new IllegalArgumentException("--reruns must be >= 0, got " + reruns);
    StringBuilder labels = new StringBuilder();
    List<SampleRequest> requests = new ArrayList<>();
    for (int i = 0; i < images; i++) {
      labels.append(i == 0 ? "" : ",").append(i % 10);
      requests.add(SampleRequest.of(i, i % 10, 1000 + i));
    }
    Path out = Files.createTempDirectory("l2c-bench-beam");
    List<String> args =
        new ArrayList<>(
            List.of(
                "--runner=DirectRunner",
                "--model=" + model,
                "--labels=" + labels,
                "--seeds=1000",
                "--steps=" + steps,
                "--cfgScale=" + cfgScale,
                "--batchSize=" + batchSize,
                "--output=" + out));
    args.addAll(runnerArgs);
    if (reruns > 0) return reruns(args);
    DiT dit = DiTLoader.load(model, 0, Torch.newManager());
    BatchSampler bare =
        new BatchSampler(dit, SamplingSettings.of("ddim", steps, cfgScale, null), null, "bare");
    bare.sample(requests.subList(0, Math.min(images, BatchSampler.FORWARD_BATCH))); // warm-up

    runPipeline(args); // untimed: loads the model into this JVM's SharedModels
    DoubleAdder samplingSum = new DoubleAdder();
    double[][] t =
        alternated(
            rounds,
            "",
            "bare",
            () -> {
              double c0 = processCpuSeconds();
              long t0 = System.nanoTime();
              for (int from = 0; from < images; from += batchSize) {
                bare.sample(requests.subList(from, Math.min(images, from + batchSize)));
              }
              return new double[] {(System.nanoTime() - t0) / 1e9, processCpuSeconds() - c0};
            },
            "pipeline",
            () -> {
              double c0 = processCpuSeconds();
              long t0 = System.nanoTime();
              samplingSum.add(runPipeline(args));
              return new double[] {(System.nanoTime() - t0) / 1e9, processCpuSeconds() - c0};
            });
    double bareSeconds = t[0][0];
    double pipelineSeconds = t[1][0];
    double samplingSeconds = samplingSum.sum() / rounds;
    double bareRate = images / bareSeconds;
    double pipeRate = images / pipelineSeconds;
    System.out.printf(
        Locale.ROOT,
        "requests: %d, %s, DDIM-%d, cfg %.2f, batch %d, %d cores, %d rounds%n",
        images,
        model,
        steps,
        cfgScale,
        batchSize,
        Runtime.getRuntime().availableProcessors(),
        rounds);
    System.out.printf(
        Locale.ROOT,
        "bare sampler loop:        %.2f s  %.3f images/s  (%.2f CPU-s)%n",
        bareSeconds,
        bareRate,
        t[0][1]);
    System.out.printf(
        Locale.ROOT,
        "CachedSample in pipeline: %.2f s  %.3f images/s  (%.2f CPU-s)%n",
        pipelineSeconds,
        pipeRate,
        t[1][1]);
    System.out.printf(
        Locale.ROOT,
        "  of which inside CachedSample's sampler: %.2f s; the rest of the pipeline: %.2f s%n",
        samplingSeconds,
        pipelineSeconds - samplingSeconds);
    System.out.printf(
        Locale.ROOT, "ratio (pipeline / bare):  %.3f (target >= 0.95)%n", pipeRate / bareRate);
    System.out.printf(
        Locale.ROOT,
        "{\"bare_images_per_s\":%.4f,\"pipeline_images_per_s\":%.4f,\"ratio\":%.4f,\"pipeline_sampling_s\":%.4f,"
            + "\"pipeline_other_s\":%.4f}%n",
        bareRate,
        pipeRate,
        pipeRate / bareRate,
        samplingSeconds,
        pipelineSeconds - samplingSeconds);
    return 0;
  }

  /**
   * The same pipeline {@code reruns} times in this JVM: wall and CPU seconds of each run, and the
   * CPU seconds of the model-call threads (libtorch's OpenMP workers are named after the thread
   * that made them, so they count too).
   */
  private int reruns(List<String> args) throws Exception {
    System.out.printf(
        Locale.ROOT,
        "requests: %d, %s, DDIM-%d, cfg %.2f, batch %d, %d cores; the sample pipeline %d"
            + " times in one JVM (run 1 loads the model)%n",
        images,
        model,
        steps,
        cfgScale,
        batchSize,
        Runtime.getRuntime().availableProcessors(),
        reruns);
    double[] cpu = new double[reruns];
    StringBuilder json = new StringBuilder("{\"reruns\":[");
    for (int run = 0; run < reruns; run++) {
      double c0 = processCpuSeconds();
      double m0 = threadCpuSeconds(MODEL_CALL_THREADS);
      long t0 = System.nanoTime();
      double sampling = runPipeline(args);
      double wall = (System.nanoTime() - t0) / 1e9;
      cpu[run] = processCpuSeconds() - c0;
      double modelCalls = threadCpuSeconds(MODEL_CALL_THREADS) - m0;
      System.out.printf(
          Locale.ROOT,
          "run %d: %.2f s wall, %.2f CPU-s (%.2f of them in the model-call threads),"
              + " %.2f s inside CachedSample's sampler, CPU %.2fx run 1%n",
          run + 1,
          wall,
          cpu[run],
          modelCalls,
          sampling,
          cpu[run] / cpu[0]);
      json.append(run == 0 ? "" : ",")
          .append(
              String.format(
                  Locale.ROOT,
                  "{\"wall_s\":%.4f,\"cpu_s\":%.4f,\"model_call_cpu_s\":%.4f}",
                  wall,
                  cpu[run],
                  modelCalls));
    }
    double worst = 0;
    for (int run = 1; run < reruns; run++) worst = Math.max(worst, cpu[run] / cpu[0]);
    if (reruns > 1) {
      System.out.printf(
          Locale.ROOT, "worst re-run: %.2fx run 1's CPU seconds (target <= 1.10)%n", worst);
    }
    System.out.println(
        json.append("],\"worst_rerun_cpu_ratio\":")
            .append(String.format(Locale.ROOT, "%.4f", worst))
            .append('}'));
    return 0;
  }
}
