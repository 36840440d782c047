package org.l2cbeam.pipelines.sample;

import java.util.List;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.values.PCollectionView;
import org.l2cbeam.beam.CachedSample;
import org.l2cbeam.beam.LoadModel;
import org.l2cbeam.beam.ModelRef;
import org.l2cbeam.pipelines.ModelOption;
import org.l2cbeam.pipelines.PipelineLauncher;
import org.l2cbeam.pipelines.PipelineOutputs;
import org.l2cbeam.beam.SampleRequest;
import org.l2cbeam.beam.WriteSamples;
import org.l2cbeam.core.assets.BuiltinAssets;
import org.l2cbeam.core.diffusion.Guidance;
import org.l2cbeam.core.model.DiTConfig;
import org.l2cbeam.core.model.DiTLoader;
import org.l2cbeam.pipelines.WorkerDeviceOptions;

/**
 * The {@code sample} pipeline: requests from {@code --labels}/{@code --seeds} → {@link LoadModel} → {@link
 * CachedSample} (plain, or with {@code --router}) → {@link WriteSamples}. The bytes written depend only on the
 * requests, model, sampler settings and router: not on {@code --batch-size}, the runner or its parallelism.
 */
public final class SamplePipeline {
  private SamplePipeline() {}

  /** Builds the pipeline, rejecting bad options with a message naming the option. */
  public static Pipeline build(SampleOptions o) {
    List<SampleRequest> requests = SampleRequests.parse(o.getLabels(), o.getSeeds());
    checkLabelsAgainstModel(o.getModel(), requests);
    if (o.getTheta() != null && (o.getRouter() == null || o.getRouter().isBlank())) {
      throw new IllegalArgumentException("--theta: a threshold needs a router (--router)");
    }
    Pipeline p = Pipeline.create(o);
    PCollectionView<ModelRef> model = ModelOption.load(p, o.getModel(), o);
    CachedSample sample = configure(CachedSample.using(model), o);
    try {
      p.apply("Requests", Create.of(requests))
          .apply("CachedSample", sample)
          .apply("WriteSamples", WriteSamples.to(o.getOutput()));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(optionName(e.getMessage()) + e.getMessage(), e);
    }
    return p;
  }

  /** Applies the sampling options to {@code t}; shared with the benchmark and the templates. */
  public static CachedSample configure(CachedSample t, SampleOptions o) {
    try {
      t = t.withSteps(o.getSteps()).withSampler(o.getSampler()).withCfgScale(o.getCfgScale())
          .withBatchSize(o.getBatchSize()).withDevice(WorkerDeviceOptions.requestedDevice(o));
      if (!"auto".equals(o.getGuidedChannels())) {
        t = t.withGuidedChannels(Guidance.parseChannels(o.getGuidedChannels()));
      }
      if (o.getRouter() != null && !o.getRouter().isBlank()) {
        t = t.withRouter(o.getRouter());
      }
      if (o.getTheta() != null) {
        t = t.withTheta(o.getTheta());
      }
      if (o.getVae() != null && !o.getVae().isBlank()) {
        t = t.withVae(o.getVae());
      }
      return t;
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(optionName(e.getMessage()) + e.getMessage(), e);
    }
  }

  /** The command-line option behind a transform setter named in a message, e.g. "--theta: ". */
  private static String optionName(String message) {
    String[][] map = {
      {"withTheta", "--theta"}, {"withRouter", "--router"}, {"withSteps", "--steps"}, {"withSampler", "--sampler"},
      {"withCfgScale", "--cfg-scale"}, {"withVae", "--vae"}, {"withBatchSize", "--batch-size"}, {"WriteSamples", "--output"},
      {"guided-channels", ""}
    };
    for (String[] m : map) {
      if (message != null && message.contains(m[0])) return m[1].isEmpty() ? "" : m[1] + ": ";
    }
    return "";
  }

  /** Unknown labels are rejected before any worker starts, when the model can be read here (local or builtin). */
  static void checkLabelsAgainstModel(String model, List<SampleRequest> requests) {
    if (model == null || model.isBlank()) {
      throw new IllegalArgumentException("--model: no model given");
    }
    if (!BuiltinAssets.isBuiltin(model) && model.matches("^[a-zA-Z][a-zA-Z0-9+.-]*://.*")) {
      return; // remote: LoadModel checks it exists; labels are checked on the workers
    }
    DiTConfig config;
    try {
      config = DiTLoader.config(model, DiTLoader.stateDict(model), 0);
    } catch (RuntimeException e) {
      throw new IllegalArgumentException("--model: " + e.getMessage(), e);
    }
    for (SampleRequest r : requests) {
      if (r.label() >= config.numClasses) {
        throw new IllegalArgumentException(
            "--labels: label " + r.label() + " is not a class of model " + model + " (" + config.numClasses
                + " classes: 0.." + (config.numClasses - 1) + ")");
      }
    }
  }

  /** What a run publishes: {@code samples.npz} and {@code samples.png} in {@code --output}. */
  public static PipelineOutputs outputs(SampleOptions o) {
    return PipelineOutputs.inFolder("sample", "--output", o.getOutput(), List.of(WriteSamples.NPZ, WriteSamples.PNG));
  }

  public static void main(String[] args) {
    PipelineLauncher.run("sample", java.util.Arrays.asList(args));
  }
}
