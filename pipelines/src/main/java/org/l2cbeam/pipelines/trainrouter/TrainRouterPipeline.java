package org.l2cbeam.pipelines.trainrouter;

import java.util.Arrays;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.values.PCollectionView;
import org.l2cbeam.beam.LoadModel;
import org.l2cbeam.beam.ModelRef;
import org.l2cbeam.beam.ReadTrainingExamples;
import org.l2cbeam.beam.TrainRouter;
import org.l2cbeam.beam.WriteRouter;
import org.l2cbeam.core.model.ModelCheckpoint;
import org.l2cbeam.pipelines.ModelOption;
import org.l2cbeam.pipelines.PipelineLauncher;
import org.l2cbeam.pipelines.PipelineOutputs;
import org.l2cbeam.pipelines.WorkerDeviceOptions;

/**
 * The {@code train-router} pipeline: {@link LoadModel} → {@link ReadTrainingExamples} → {@link
 * TrainRouter} (one router per cache step, in parallel) → {@link WriteRouter}, for a DiT (DDIM
 * routers) or a U-ViT (DPM-Solver-2 routers; data: VAE latents of its images). Scheduled retraining
 * is idempotent: the same model, data, settings and seed write the same bytes under the same name
 * (the JSON holds no wall-clock time), and the file appears only complete (temporary name, then
 * rename).
 */
public final class TrainRouterPipeline {
  private TrainRouterPipeline() {}

  /** Builds the pipeline, rejecting bad options with a message naming the option. */
  public static Pipeline build(TrainRouterOptions o) {
    ModelCheckpoint.Summary local = ModelOption.localSummary(o.getModel());
    Pipeline p = Pipeline.create(o);
    PCollectionView<ModelRef> model = ModelOption.load(p, o.getModel(), o);
    TrainRouter train = configure(TrainRouter.using(model), o);
    if (local != null) {
      train =
          train.withFamily(local.family); // family-specific options (--cache-steps) are checked now
    }
    try {
      p.apply("ReadTrainingExamples", ReadTrainingExamples.from(o.getData()).forModel(model))
          .apply("TrainRouter", train)
          .apply("WriteRouter", WriteRouter.to(o.getOutput()));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(optionName(e.getMessage()) + e.getMessage(), e);
    }
    return p;
  }

  /** Applies the training options to {@code t}. */
  public static TrainRouter configure(TrainRouter t, RouterTrainingOptions o) {
    try {
      if (o.getIterations() == null) {
        throw new IllegalArgumentException("TrainRouter.withIterations: --iterations is required");
      }
      t =
          t.withSteps(o.getSamplingSteps())
              .withIterations(o.getIterations())
              .withLearningRate(o.getLr())
              .withBatchSize(o.getBatch())
              .withSeed(o.getSeed())
              .withCheckpointEvery(o.getCheckpointEvery())
              .withDataSource(o.getData())
              .withDevice(WorkerDeviceOptions.requestedDevice(o));
      if (o.getLambda() != null) t = t.withLambda(o.getLambda());
      if (o.getTheta() != null) t = t.withTheta(o.getTheta());
      if (o.getCheckpointDir() != null && !o.getCheckpointDir().isBlank())
        t = t.withTempLocation(o.getCheckpointDir());
      if (o.getCacheSteps() != null && !o.getCacheSteps().isBlank())
        t = t.withCacheSteps(parseSteps(o.getCacheSteps()));
      return t;
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(optionName(e.getMessage()) + e.getMessage(), e);
    }
  }

  private static int[] parseSteps(String list) {
    try {
      return Arrays.stream(list.split(",")).map(String::trim).mapToInt(Integer::parseInt).toArray();
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(
          "TrainRouter.withCacheSteps: '" + list + "' is not a comma-separated list of integers",
          e);
    }
  }

  /**
   * The command-line option behind the transform setter a message starts with (the first one
   * named), e.g. "--lr: ".
   */
  public static String optionName(String message) {
    String[][] map = {
      {"withIterations", "--iterations"},
      {"withSteps", "--sampling-steps"},
      {"withLambda", "--lambda"},
      {"withLearningRate", "--lr"},
      {"withBatchSize", "--batch"},
      {"withTheta", "--theta"},
      {"withTempLocation", "--checkpoint-dir"},
      {"withCheckpointEvery", "--checkpoint-every"},
      {"withCacheSteps", "--cache-steps"},
      {"ReadTrainingExamples", "--data"},
      {"WriteRouter", "--output"},
      {"withFamily", "--model"}
    };
    String option = "";
    int first = Integer.MAX_VALUE;
    for (String[] m : map) {
      int at = message == null ? -1 : message.indexOf(m[0]);
      if (at >= 0 && at < first) {
        first = at;
        option = m[1] + ": ";
      }
    }
    return option;
  }

  /** What a run publishes: the router JSON {@code --output}. */
  public static PipelineOutputs outputs(TrainRouterOptions o) {
    return PipelineOutputs.singleFile("train-router", "--output", o.getOutput());
  }

  public static void main(String[] args) {
    PipelineLauncher.run("train-router", Arrays.asList(args));
  }
}
