import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.apache.beam.runners.direct.DirectOptions;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.View;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionView;
import org.l2cbeam.beam.CachedSample;
import org.l2cbeam.beam.ComputeFID;
import org.l2cbeam.beam.FidResult;
import org.l2cbeam.beam.LoadModel;
import org.l2cbeam.beam.ModelRef;
import org.l2cbeam.beam.PipelineProgress;
import org.l2cbeam.beam.ReadTrainingExamples;
import org.l2cbeam.beam.SampleRequest;
import org.l2cbeam.beam.TrainRouter;
import org.l2cbeam.beam.WriteFidResult;
import org.l2cbeam.core.router.RouterArtifact;

/**
 * Trains an L2C router for the bundled Fashion-MNIST DiT, samples the same requests with plain DDIM-20 and with the
 * router removing 25% of the MACs, and prints both FIDs. Arguments: [samples per setting] [iterations per cache step].
 */
public class L2cQuickStart {
  public static void main(String[] args) throws Exception {
    int samples = args.length > 0 ? Integer.parseInt(args[0]) : 100;
    long iterations = args.length > 1 ? Long.parseLong(args[1]) : 10; // x 10 cache steps at DDIM-20
    Path out = Files.createTempDirectory("l2c-quickstart");

    DirectOptions options = PipelineOptionsFactory.create().as(DirectOptions.class);
    options.setBlockOnRun(false); // p.run() returns at once, so that PipelineProgress shows the run
    Pipeline p = Pipeline.create(options);

    PCollectionView<ModelRef> model = p.apply(LoadModel.from("builtin:fmnist-dit")).apply("Model", View.asSingleton());
    // Router training: iterations x 10 cache steps, on the first 2 000 bundled training images. Checkpoints go to
    // java.io.tmpdir/l2c-USER (TrainRouter.withTempLocation to change it): a re-run resumes instead of retraining.
    PCollectionView<RouterArtifact> router =
        p.apply(ReadTrainingExamples.from("builtin:fashion-mnist").withLimit(2000).forModel(model))
            .apply(TrainRouter.using(model).withSteps(20).withIterations(iterations)
                .withLearningRate(5e-2).withBatchSize(16))
            .apply("Router", View.asSingleton());

    List<SampleRequest> requests = new ArrayList<>();
    for (int i = 0; i < samples; i++) requests.add(SampleRequest.of(i, i % 10, 1000 + i)); // id, label, seed
    PCollection<SampleRequest> req = p.apply(Create.of(requests));
    CachedSample ddim20 = CachedSample.using(model).withSteps(20).withCfgScale(1.5);
    req.apply("Plain", ddim20)
        .apply("FidPlain", ComputeFID.against("builtin:fmnist-test-stats").withLabel("DDIM-20"))
        .apply("WritePlain", WriteFidResult.to(out.resolve("fid-plain.json").toString()));
    // A router trained in the pipeline: choose theta by the MACs to remove, not a fixed threshold.
    req.apply("L2C", ddim20.withRouter(router).withMacsRemoved(0.25))
        .apply("FidL2C", ComputeFID.against("builtin:fmnist-test-stats").withLabel("DDIM-20 + L2C"))
        .apply("WriteL2C", WriteFidResult.to(out.resolve("fid-l2c.json").toString()));

    PipelineProgress.watch(p.run()); // progress every 10 s, then every metric; throws if the pipeline failed

    for (String name : List.of("fid-plain.json", "fid-l2c.json")) {
      FidResult r = WriteFidResult.read(out.resolve(name).toString());
      System.out.printf(Locale.ROOT, "%-14s FID %.4f over %d images, %.1f%% of the MACs removed (schedule %s)%n",
          r.label(), r.fid(), r.imageCount(), 100 * r.macsRemoved(), r.scheduleId());
    }
  }
}
