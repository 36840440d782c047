package org.l2cbeam.pipelines.cli;

import static org.l2cbeam.pipelines.cli.BenchMeasures.procStatusBytes;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.apache.beam.runners.direct.DirectOptions;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.View;
import org.apache.beam.sdk.values.PCollectionView;
import org.l2cbeam.beam.CachedSample;
import org.l2cbeam.beam.LoadModel;
import org.l2cbeam.beam.ModelRef;
import org.l2cbeam.beam.SampleRequest;
import org.l2cbeam.beam.SharedModels;
import org.l2cbeam.core.runtime.Torch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code l2c bench release}: the resident memory a shared model holds, and gives back through
 * {@link SharedModels#releaseAll()}. A pipeline samples one request with a generated
 * DiT-XL/2-shaped checkpoint of about {@code --gib} GiB (random weights), which loads it into this
 * JVM's {@link SharedModels}; then the models are released. Prints, {@code --runs} times, the
 * resident memory before the run, with the model loaded, after the release, and after a GC (which
 * unmaps the checkpoint's memory-mapped pages): the whole RSS, and its anonymous part (RssAnon:
 * libtorch's tensors and the Java heap, without file pages the kernel can drop at any time).
 */
@Command(
    name = "release",
    mixinStandardHelpOptions = true,
    description =
        "RSS with a shared DiT loaded by a pipeline, and after SharedModels.releaseAll().")
final class BenchReleaseCommand implements Callable<Integer> {
  @Option(
      names = "--gib",
      paramLabel = "G",
      description = "checkpoint size in GiB (default ${DEFAULT-VALUE})")
  double gib = 1.0;

  @Option(
      names = "--runs",
      paramLabel = "N",
      description = "load/release cycles (default ${DEFAULT-VALUE})")
  int runs = 2;

  @Override
  public Integer call() throws Exception {
    if (!(gib > 0 && gib <= 16))
      throw new IllegalArgumentException("--gib must be in (0, 16], got " + gib);
    if (runs < 1) throw new IllegalArgumentException("--runs must be >= 1, got " + runs);
    Path work = Files.createTempDirectory("l2c-bench-release");
    Path file = work.resolve("dit-xl2-like.safetensors");
    try {
      long bytes =
          BenchLoadCommand.write(file, BenchLoadCommand.ditXl2Shapes((long) (gib * (1L << 30))));
      System.out.printf(
          Locale.ROOT, "checkpoint: %s, %.0f MB of fp32 weights (random)%n", file, bytes / 1e6);
      Torch.newManager()
          .close(); // libtorch loaded before the first figure, so it counts in every one
      for (int run = 1; run <= runs; run++) {
        double[] before = rss();
        PipelineResult.State state = sampleOnce(file.toString());
        double[] loaded = rss();
        List<String> models = SharedModels.loaded();
        int released = SharedModels.releaseAll();
        double[] after = rss();
        // The checkpoint's memory-mapped pages are unmapped when the JVM collects their buffers.
        System.gc();
        Thread.sleep(1000);
        double[] collected = rss();
        System.out.printf(
            Locale.ROOT, "run %d (%s, released %d: %s)%n", run, state, released, models);
        System.out.printf(
            Locale.ROOT,
            "  RSS     %6.0f MB before, %6.0f MB loaded, %6.0f MB released, %6.0f MB after a"
                + " GC: %+.0f MB against before%n",
            before[0],
            loaded[0],
            after[0],
            collected[0],
            collected[0] - before[0]);
        System.out.printf(
            Locale.ROOT,
            "  RssAnon %6.0f MB before, %6.0f MB loaded, %6.0f MB released, %6.0f MB after a"
                + " GC: %+.0f MB against before%n",
            before[1],
            loaded[1],
            after[1],
            collected[1],
            collected[1] - before[1]);
      }
    } finally {
      Files.deleteIfExists(file);
      Files.deleteIfExists(work);
    }
    return 0;
  }

  /** {VmRSS, RssAnon} in MB. */
  private static double[] rss() throws java.io.IOException {
    return new double[] {procStatusBytes("VmRSS:") / 1e6, procStatusBytes("RssAnon:") / 1e6};
  }

  /**
   * One request, one sampling step: enough for CachedSample to load the model into SharedModels.
   */
  private static PipelineResult.State sampleOnce(String checkpoint) {
    DirectOptions options = PipelineOptionsFactory.create().as(DirectOptions.class);
    Pipeline p = Pipeline.create(options);
    PCollectionView<ModelRef> model =
        p.apply(LoadModel.from(checkpoint)).apply("Model", View.asSingleton());
    p.apply(Create.of(SampleRequest.of(0, 0, 0)))
        .apply(CachedSample.using(model).withSteps(1).withCfgScale(1));
    return p.run().waitUntilFinish();
  }
}
