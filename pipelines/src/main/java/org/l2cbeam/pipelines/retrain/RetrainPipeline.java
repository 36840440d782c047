package org.l2cbeam.pipelines.retrain;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.View;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionView;
import org.l2cbeam.beam.CachedSample;
import org.l2cbeam.beam.ComputeFID;
import org.l2cbeam.beam.FidResult;
import org.l2cbeam.beam.ModelRef;
import org.l2cbeam.beam.ReadTrainingExamples;
import org.l2cbeam.beam.ResolveRouter;
import org.l2cbeam.beam.SampleRequest;
import org.l2cbeam.beam.SampleRequestCoder;
import org.l2cbeam.beam.TrainRouter;
import org.l2cbeam.core.diffusion.SamplingRun;
import org.l2cbeam.core.model.ModelCheckpoint;
import org.l2cbeam.core.router.RouterArtifact;
import org.l2cbeam.pipelines.ModelOption;
import org.l2cbeam.pipelines.PipelineLauncher;
import org.l2cbeam.pipelines.PipelineOutputs;
import org.l2cbeam.pipelines.WorkerDeviceOptions;
import org.l2cbeam.pipelines.trainrouter.TrainRouterPipeline;

/**
 * The {@code retrain} pipeline, a scheduled job's whole loop in one run:
 *
 * <ol>
 *   <li>{@link ReadTrainingExamples} ({@code --data}) → {@link TrainRouter}: the candidate router
 *       (resumable from {@code --checkpoint-dir}, so a killed run picks up where it stopped; with
 *       {@code --warm-start} it starts from the registry's latest router instead of the seed's, and
 *       the published manifest records that version);
 *   <li>{@link ResolveRouter}: the registry's current latest router for this model and step count
 *       (the candidate itself before the first publish);
 *   <li>the same fixed probe requests sampled with each router at the same MAC budget ({@link
 *       CachedSample} with {@code --probe-macs-removed}: θ is chosen per router to remove that
 *       fraction), decoded by {@code --vae} for a latent model, and each set scored by {@link
 *       ComputeFID};
 *   <li>the gate: the candidate is published to {@code --registry} only if {@code FID(candidate) <=
 *       FID(current) + --tolerance}, with {@code expectedLatest} = the version it was judged
 *       against, so a latest that moved meanwhile is never overwritten;
 *   <li>a report in {@code --output}: {@value RetrainReport#JSON} and {@value
 *       RetrainReport#MARKDOWN}.
 * </ol>
 *
 * <p>Re-running with the same inputs publishes nothing new: training is deterministic and writes no
 * time into the router, so the candidate's bytes equal the published version's and the registry
 * stores nothing. With {@code --warm-start} a re-run after a publish starts from the new version,
 * so it trains a new candidate: each scheduled run then continues the one before it, and the gate
 * decides as always. The decision is taken in one element; if a runner retries it, the registry's
 * idempotence makes the retry a no-op.
 */
public final class RetrainPipeline {
  private RetrainPipeline() {}

  /** Builds the pipeline, rejecting bad options with a message naming the option. */
  public static Pipeline build(RetrainOptions o) {
    checkOptions(o);
    ModelCheckpoint.Summary local = ModelOption.localSummary(o.getModel());
    if (local != null) checkAgainstModel(o, local);
    Pipeline p = Pipeline.create(o);
    PCollectionView<ModelRef> model = ModelOption.load(p, o.getModel(), o);
    TrainRouter train = TrainRouterPipeline.configure(TrainRouter.using(model), o);
    if (local != null)
      train = train.withFamily(local.family); // family-specific options are checked now
    int steps = o.getSamplingSteps();
    try {
      if (o.getWarmStart())
        train = train.withInitialRouter(ResolveRouter.URI_PREFIX + o.getRegistry());
      ReadTrainingExamples read = ReadTrainingExamples.from(o.getData()).forModel(model);
      if (o.getDataLimit() > 0) read = read.withLimit(o.getDataLimit());
      PCollectionView<RouterArtifact> candidate =
          p.apply("ReadTrainingExamples", read)
              .apply("TrainRouter", train)
              .apply("CandidateView", View.asSingleton());
      PCollectionView<RouterArtifact> current =
          p.apply(
                  "CurrentLatest",
                  ResolveRouter.latest(o.getRegistry(), model)
                      .withSampler(ResolveRouter.FAMILY_SAMPLER)
                      .withSteps(steps)
                      .orElse(candidate))
              .apply("CurrentView", View.asSingleton());

      PCollection<SampleRequest> probes =
          p.apply("ProbeRequests", Create.of(probes(o)).withCoder(SampleRequestCoder.of()));
      PCollectionView<FidResult> candidateFid = fid(probes, "Candidate", model, candidate, o);
      PCollectionView<FidResult> currentFid = fid(probes, "Current", model, current, o);

      p.apply("Registry", Create.of(o.getRegistry()).withCoder(StringUtf8Coder.of()))
          .apply(
              "GateAndPublish",
              ParDo.of(
                      new RetrainReport.GateFn(
                          model,
                          candidate,
                          current,
                          candidateFid,
                          currentFid,
                          RetrainReport.Settings.of(o)))
                  .withSideInputs(model, candidate, current, candidateFid, currentFid))
          .setCoder(StringUtf8Coder.of());
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(optionName(e.getMessage()) + e.getMessage(), e);
    }
    return p;
  }

  /** FID of the probes sampled with {@code router} at the MAC budget, as a singleton side input. */
  private static PCollectionView<FidResult> fid(
      PCollection<SampleRequest> probes,
      String name,
      PCollectionView<ModelRef> model,
      PCollectionView<RouterArtifact> router,
      RetrainOptions o) {
    ComputeFID fid =
        ComputeFID.against(o.getReferenceStats())
            .withExtractor(o.getExtractor())
            .withLabel(name)
            .withDevice(WorkerDeviceOptions.requestedDevice(o));
    if (o.getWeights() != null && !o.getWeights().isBlank()) fid = fid.withWeights(o.getWeights());
    CachedSample sample =
        CachedSample.using(model)
            .withSteps(o.getSamplingSteps())
            .withCfgScale(o.getProbeCfgScale())
            .withRouter(router)
            .withMacsRemoved(o.getProbeMacsRemoved())
            .withDevice(WorkerDeviceOptions.requestedDevice(o));
    if (o.getVae() != null && !o.getVae().isBlank()) sample = sample.withVae(o.getVae());
    return probes
        .apply("Sample" + name, sample)
        .apply("Fid" + name, fid)
        .apply(name + "FidView", View.asSingleton());
  }

  /** Request i: label i mod --probe-classes, seed --probe-seed + i. */
  static List<SampleRequest> probes(RetrainOptions o) {
    List<SampleRequest> requests = new ArrayList<>();
    for (int i = 0; i < o.getProbeCount(); i++) {
      requests.add(SampleRequest.of(i, i % o.getProbeClasses(), o.getProbeSeed() + i));
    }
    return requests;
  }

  private static void checkOptions(RetrainOptions o) {
    if (o.getProbeCount() < 2) {
      throw new IllegalArgumentException(
          "--probe-count: FID needs at least 2 images, got " + o.getProbeCount());
    }
    if (o.getProbeClasses() < 1) {
      throw new IllegalArgumentException(
          "--probe-classes: must be >= 1, got " + o.getProbeClasses());
    }
    if (o.getDataLimit() < 0) {
      throw new IllegalArgumentException(
          "--data-limit: must be >= 0 (0 = all), got " + o.getDataLimit());
    }
    if (o.getRegistry() == null || o.getRegistry().isBlank()) {
      throw new IllegalArgumentException("--registry: no registry location given");
    }
    if (o.getRegistry().startsWith(ResolveRouter.URI_PREFIX)) {
      throw new IllegalArgumentException(
          "--registry: give the location itself, without " + ResolveRouter.URI_PREFIX);
    }
  }

  /**
   * Before any worker starts, when the model can be read here (local or builtin): the probe labels
   * must be its classes, and a latent model's probes need a VAE to become images that FID can
   * score.
   */
  static void checkAgainstModel(RetrainOptions o, ModelCheckpoint.Summary model) {
    if (o.getProbeClasses() > model.numClasses) {
      throw new IllegalArgumentException(
          "--probe-classes: "
              + o.getProbeClasses()
              + " classes, but model "
              + o.getModel()
              + " has "
              + model.numClasses);
    }
    if (!SamplingRun.isPixelSpace(model.inChannels)
        && (o.getVae() == null || o.getVae().isBlank())) {
      throw new IllegalArgumentException(
          "--vae: model "
              + o.getModel()
              + " samples "
              + model.inChannels
              + "-channel latents; give the Stable-Diffusion VAE that decodes the probe samples to images for FID");
    }
  }

  /**
   * The command-line option behind a transform setter named in a message, e.g.
   * "--probe-macs-removed: ".
   */
  private static String optionName(String message) {
    String[][] map = {
      {"withMacsRemoved", "--probe-macs-removed"},
      {"withCfgScale", "--probe-cfg-scale"},
      {"ComputeFID.against", "--reference-stats"},
      {"withExtractor", "--extractor"},
      {"withWeights", "--weights"},
      {"ResolveRouter", "--registry"},
      {"withLimit", "--data-limit"},
      {"withVae", "--vae"},
      {"withInitialRouter", "--warm-start"}
    };
    for (String[] m : map) {
      if (message != null && message.contains(m[0])) return m[1] + ": ";
    }
    return TrainRouterPipeline.optionName(message);
  }

  /** What a run publishes: the report, in the {@code --output} folder. */
  public static PipelineOutputs outputs(RetrainOptions o) {
    return PipelineOutputs.inFolder(
        "retrain", "--output", o.getOutput(), List.of(RetrainReport.JSON, RetrainReport.MARKDOWN));
  }

  public static void main(String[] args) {
    PipelineLauncher.run("retrain", Arrays.asList(args));
  }
}
