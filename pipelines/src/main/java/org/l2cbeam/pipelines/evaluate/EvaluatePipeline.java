package org.l2cbeam.pipelines.evaluate;

import java.util.Locale;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.values.PCollection;
import org.l2cbeam.beam.ComputeFID;
import org.l2cbeam.beam.FidResult;
import org.l2cbeam.beam.ReadImages;
import org.l2cbeam.beam.WriteFidResult;
import org.l2cbeam.core.image.ImageBatch;
import org.l2cbeam.pipelines.PipelineLauncher;
import org.l2cbeam.pipelines.PipelineOutputs;
import org.l2cbeam.pipelines.WorkerDeviceOptions;

/**
 * The {@code evaluate} pipeline: {@link ReadImages} ({@code --samples}) → {@link ComputeFID}
 * against {@code --reference-stats} with {@code --extractor}/{@code --weights} → {@link
 * WriteFidResult} ({@code --output}, JSON).
 */
public final class EvaluatePipeline {
  public static final String RESULT_FILE = "fid.json";

  private EvaluatePipeline() {}

  /** Builds the pipeline, rejecting bad options with a message naming the option. */
  public static Pipeline build(EvaluateOptions o) {
    String output = resultFile(o.getOutput());
    ComputeFID fid = configure(o);
    ReadImages read;
    try {
      // Elements of exactly one feature batch: no short, padded batches at bundle ends.
      read =
          ReadImages.from(o.getSamples())
              .withSplit(o.getSplit())
              .withChannels(channelsOf(o.getExtractor()))
              .withChunkSize(Math.max(1, o.getFeatureBatchSize()));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(optionName(e.getMessage()) + e.getMessage(), e);
    }
    Pipeline p = Pipeline.create(o);
    try {
      PCollection<ImageBatch> images = p.apply("ReadImages", read);
      PCollection<FidResult> result = images.apply("ComputeFID", fid.onImages());
      result.apply("WriteResult", WriteFidResult.to(output));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(optionName(e.getMessage()) + e.getMessage(), e);
    }
    return p;
  }

  /**
   * The ComputeFID transform the options describe; shared with the benchmark pipeline and the
   * templates.
   */
  public static ComputeFID configure(EvaluateOptions o) {
    try {
      ComputeFID t =
          ComputeFID.against(o.getReferenceStats())
              .withExtractor(o.getExtractor())
              .withBatchSize(o.getFeatureBatchSize())
              .withDevice(WorkerDeviceOptions.requestedDevice(o));
      if (o.getWeights() != null && !o.getWeights().isBlank()) {
        t = t.withWeights(o.getWeights());
      }
      return t;
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(optionName(e.getMessage()) + e.getMessage(), e);
    }
  }

  /** {@code --output}: a {@code .json} file, or a directory that gets {@code fid.json}. */
  static String resultFile(String output) {
    if (output == null || output.isBlank()) {
      throw new IllegalArgumentException("--output: no result file given");
    }
    if (output.toLowerCase(Locale.ROOT).endsWith(".json")) return output;
    return output.endsWith("/") ? output + RESULT_FILE : output + "/" + RESULT_FILE;
  }

  /**
   * Folder images are converted to what the extractor takes: grey for fmnist, RGB for inception.
   */
  private static int channelsOf(String extractor) {
    return "inception".equalsIgnoreCase(extractor == null ? "" : extractor.trim()) ? 3 : 1;
  }

  /** The command-line option behind a transform setter named in a message, e.g. "--weights: ". */
  private static String optionName(String message) {
    String[][] map = {
      {"ComputeFID.against", "--reference-stats"},
      {"withExtractor", "--extractor"},
      {"withWeights", "--weights"},
      {"withBatchSize", "--feature-batch-size"},
      {"ReadImages.withSplit", "--split"},
      {"ReadImages", "--samples"},
      {"WriteFidResult", "--output"}
    };
    for (String[] m : map) {
      if (message != null && message.contains(m[0])) return m[1] + ": ";
    }
    return "";
  }

  /** What a run publishes: the result file ({@code --output} itself, or {@code fid.json} in it). */
  public static PipelineOutputs outputs(EvaluateOptions o) {
    String file = resultFile(o.getOutput());
    return file.equals(o.getOutput())
        ? PipelineOutputs.singleFile("evaluate", "--output", file)
        : PipelineOutputs.inFolder(
            "evaluate", "--output", o.getOutput(), java.util.List.of(RESULT_FILE));
  }

  public static void main(String[] args) {
    PipelineLauncher.run("evaluate", java.util.Arrays.asList(args));
  }
}
