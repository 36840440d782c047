package org.l2cbeam.pipelines.sample;

import java.util.List;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.values.PCollectionView;
import org.l2cbeam.beam.CachedSample;
import org.l2cbeam.beam.LoadModel;
import org.l2cbeam.beam.ModelRef;
import org.l2cbeam.beam.SampleRequest;
import org.l2cbeam.beam.WriteSamples;
import org.l2cbeam.core.diffusion.Guidance;
import org.l2cbeam.core.diffusion.SamplerKind;
import org.l2cbeam.core.diffusion.SamplingRun;
import org.l2cbeam.core.model.ModelCheckpoint;
import org.l2cbeam.core.router.ModelFamily;
import org.l2cbeam.pipelines.ModelOption;
import org.l2cbeam.pipelines.PipelineLauncher;
import org.l2cbeam.pipelines.PipelineOutputs;
import org.l2cbeam.pipelines.WorkerDeviceOptions;

/**
 * The {@code sample} pipeline: requests from {@code --labels}/{@code --seeds} → {@link LoadModel} →
 * {@link CachedSample} (plain, or with {@code --router}) → {@link WriteSamples}. A DiT or a U-ViT:
 * the family comes from the checkpoint, and so does the default sampler. The bytes written depend
 * only on the requests, model, sampler settings and router: not on {@code --batch-size}, the runner
 * or its parallelism.
 */
public final class SamplePipeline {
  private SamplePipeline() {}

  /** Builds the pipeline, rejecting bad options with a message naming the option. */
  public static Pipeline build(SampleOptions o) {
    List<SampleRequest> requests = SampleRequests.parse(o.getLabels(), o.getSeeds());
    ModelCheckpoint.Summary model = ModelOption.localSummary(o.getModel());
    if (model != null) {
      checkAgainstModel(o, model, requests);
    }
    if (o.getTheta() != null && (o.getRouter() == null || o.getRouter().isBlank())) {
      throw new IllegalArgumentException("--theta: a threshold needs a router (--router)");
    }
    Pipeline p = Pipeline.create(o);
    PCollectionView<ModelRef> view = ModelOption.load(p, o.getModel(), o);
    CachedSample sample = configure(CachedSample.using(view), o);
    try {
      p.apply("Requests", Create.of(requests))
          .apply("CachedSample", model == null ? sample : sample.withFamily(model.family))
          .apply("WriteSamples", WriteSamples.to(o.getOutput()));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(optionName(e.getMessage()) + e.getMessage(), e);
    }
    return p;
  }

  /** Applies the sampling options to {@code t}; shared with the benchmark and the templates. */
  public static CachedSample configure(CachedSample t, SampleOptions o) {
    try {
      t =
          t.withSteps(o.getSteps())
              .withCfgScale(o.getCfgScale())
              .withBatchSize(o.getBatchSize())
              .withDevice(WorkerDeviceOptions.requestedDevice(o));
      if (!"auto".equals(o.getSampler())) {
        t = t.withSampler(SamplerKind.parse(o.getSampler()));
      }
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
      {"withTheta", "--theta"},
      {"withRouter", "--router"},
      {"withSteps", "--steps"},
      {"withSampler", "--sampler"},
      {"withCfgScale", "--cfg-scale"},
      {"withVae", "--vae"},
      {"withBatchSize", "--batch-size"},
      {"WriteSamples", "--output"},
      {"withGuidedChannels", "--guided-channels"},
      {"unknown sampler", "--sampler"},
      {"guided-channels", ""}
    };
    for (String[] m : map) {
      if (message != null && message.contains(m[0])) return m[1].isEmpty() ? "" : m[1] + ": ";
    }
    return "";
  }

  /**
   * Before any worker starts, when the model can be read here (local or builtin): labels must be
   * its classes, a U-ViT takes neither DiT's guided-channel rule nor a DiT sampler, and a latent
   * model needs a VAE to make images.
   */
  static void checkAgainstModel(
      SampleOptions o, ModelCheckpoint.Summary model, List<SampleRequest> requests) {
    for (SampleRequest r : requests) {
      if (r.label() >= model.numClasses) {
        throw new IllegalArgumentException(
            "--labels: label "
                + r.label()
                + " is not a class of model "
                + o.getModel()
                + " ("
                + model.numClasses
                + " classes: 0.."
                + (model.numClasses - 1)
                + ")");
      }
    }
    if (model.family == ModelFamily.UVIT && !"auto".equals(o.getGuidedChannels())) {
      throw new IllegalArgumentException(
          "--guided-channels is a DiT option: U-ViT's guidance always covers every latent channel (model "
              + o.getModel()
              + " is a U-ViT)");
    }
    if (!"auto".equals(o.getSampler())) {
      SamplerKind sampler;
      try {
        sampler = SamplerKind.parse(o.getSampler());
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("--sampler: " + e.getMessage(), e);
      }
      sampler.checkRuns(model.family, "--sampler");
      sampler.checkSteps(o.getSteps(), "--steps");
    } else {
      SamplingRun.defaultSampler(model.family).checkSteps(o.getSteps(), "--steps");
    }
    boolean images = SamplingRun.isPixelSpace(model.inChannels);
    if (!images && (o.getVae() == null || o.getVae().isBlank())) {
      throw new IllegalArgumentException(
          "--vae: model "
              + o.getModel()
              + " samples "
              + model.inChannels
              + "-channel latents; give the"
              + " Stable-Diffusion VAE that decodes them (samples.npz holds images)");
    }
  }

  /** What a run publishes: {@code samples.npz} and {@code samples.png} in {@code --output}. */
  public static PipelineOutputs outputs(SampleOptions o) {
    return PipelineOutputs.inFolder(
        "sample", "--output", o.getOutput(), List.of(WriteSamples.NPZ, WriteSamples.PNG));
  }

  public static void main(String[] args) {
    PipelineLauncher.run("sample", java.util.Arrays.asList(args));
  }
}
