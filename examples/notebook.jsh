// l2c-beam in a notebook: LoadModel -> TrainRouter -> CachedSample -> ComputeFID composed and run three times in one
// JShell session, as a notebook re-runs its cells. Each run prints its wall and CPU seconds. Every run must give the
// same results: the cached samples byte for byte (sha256 of samples.npz) and the same FIDs, up to the rounding of
// merging feature statistics in the order the runner chose (1e-8 relative at most; observed up to 8e-10 with 20
// images, whose rank-deficient covariance amplifies it). Then SharedModels.releaseAll()
// frees the loaded models, with the process's resident memory printed (the bundled models are 10 MB, lost in the
// JVM's and libtorch's own memory: `l2c bench release` measures a 1 GB model).
//
//   jshell --class-path "$(cat cp.txt)" examples/notebook.jsh
//
// cp.txt is your project's runtime classpath (README, "Notebooks"). Sizes: -R-Dl2c.samples=N (requests per setting,
// default 100), -R-Dl2c.iterations=N (router iterations per cache step, default 5), -R-Dl2c.examples=N (training
// images, default 1000). The test suite runs this file (NotebookIT).

import java.lang.management.ManagementFactory;
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
import org.l2cbeam.beam.*;
import org.l2cbeam.core.router.RouterArtifact;

int samples = Integer.getInteger("l2c.samples", 100);
long iterations = Long.getLong("l2c.iterations", 5);
int examples = Integer.getInteger("l2c.examples", 1000);

double cpuSeconds() {
  return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean()).getProcessCpuTime()
      / 1e9;
}

// Resident memory (field VmRSS of /proc/self/status), or its anonymous part (RssAnon: tensors and heap, no file pages).
double procMegabytes(String field) throws Exception {
  for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
    if (line.startsWith(field + ":")) return Long.parseLong(line.replaceAll("[^0-9]", "")) / 1024.0;
  }
  return Double.NaN;
}

double rssMegabytes() throws Exception {
  return procMegabytes("VmRSS");
}

// One run of the whole composition; returns {plain FID, L2C FID} and the sha256 of the L2C samples. Each run trains in a fresh checkpoint directory,
// so every run does the same work (with the default directory, a re-run would resume the finished training).
record Run(double plainFid, double l2cFid, String samplesSha256) {}

Run runOnce() throws Exception {
  Path out = Files.createTempDirectory("l2c-notebook");
  DirectOptions options = PipelineOptionsFactory.create().as(DirectOptions.class);
  options.setBlockOnRun(false);
  Pipeline p = Pipeline.create(options);
  PCollectionView<ModelRef> model = p.apply(LoadModel.from("builtin:fmnist-dit")).apply("Model", View.asSingleton());
  PCollectionView<RouterArtifact> router =
      p.apply(ReadTrainingExamples.from("builtin:fashion-mnist").withLimit(examples).forModel(model))
          .apply(TrainRouter.using(model).withSteps(20).withIterations(iterations).withLearningRate(5e-2)
              .withBatchSize(16).withTempLocation(out.resolve("checkpoints").toString()))
          .apply("Router", View.asSingleton());
  List<SampleRequest> requests = new ArrayList<>();
  for (int i = 0; i < samples; i++) requests.add(SampleRequest.of(i, i % 10, 1000 + i));
  PCollection<SampleRequest> req = p.apply(Create.of(requests));
  CachedSample ddim20 = CachedSample.using(model).withSteps(20).withCfgScale(1.5);
  req.apply("Plain", ddim20)
      .apply("FidPlain", ComputeFID.against("builtin:fmnist-test-stats").withLabel("DDIM-20"))
      .apply("WritePlain", WriteFidResult.to(out.resolve("fid-plain.json").toString()));
  PCollection<GeneratedSample> cached = req.apply("L2C", ddim20.withRouter(router).withMacsRemoved(0.25));
  cached.apply("WriteSamples", WriteSamples.to(out.toString()));
  cached
      .apply("FidL2C", ComputeFID.against("builtin:fmnist-test-stats").withLabel("DDIM-20 + L2C"))
      .apply("WriteL2C", WriteFidResult.to(out.resolve("fid-l2c.json").toString()));
  PipelineProgress.to(System.out).every(java.time.Duration.ofSeconds(30)).watchUntilFinish(p.run());
  byte[] hash = java.security.MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(out.resolve("samples.npz")));
  return new Run(
      WriteFidResult.read(out.resolve("fid-plain.json").toString()).fid(),
      WriteFidResult.read(out.resolve("fid-l2c.json").toString()).fid(),
      java.util.HexFormat.of().formatHex(hash));
}

boolean close(double a, double b) {
  return Math.abs(a - b) <= 1e-8 * Math.abs(a);
}

double rssBefore = rssMegabytes();
List<Run> runs = new ArrayList<>();
for (int run = 1; run <= 3; run++) {
  double cpu0 = cpuSeconds();
  long t0 = System.nanoTime();
  Run r = runOnce();
  System.out.printf(Locale.ROOT, "notebook run %d: FID plain %s, L2C %s, L2C samples sha256 %s; %.1f s wall, %.1f"
      + " CPU-s, RSS %.0f MB%n", run, r.plainFid(), r.l2cFid(), r.samplesSha256().substring(0, 16),
      (System.nanoTime() - t0) / 1e9, cpuSeconds() - cpu0, rssMegabytes());
  runs.add(r);
}
Run first = runs.get(0);
boolean same = runs.stream().allMatch(r -> r.samplesSha256().equals(first.samplesSha256())
    && close(r.plainFid(), first.plainFid()) && close(r.l2cFid(), first.l2cFid()));
System.out.println(same
    ? "notebook: the same samples (byte for byte) and FIDs (within 1e-8) in all 3 runs"
    : "notebook: the runs DIFFER");

System.out.println("notebook: loaded " + SharedModels.loaded());
double rssLoaded = rssMegabytes();
double anonLoaded = procMegabytes("RssAnon");
int released = SharedModels.releaseAll();
System.out.printf(Locale.ROOT, "notebook: RSS %.0f MB before run 1, %.0f MB after 3 runs, %.0f MB after"
    + " SharedModels.releaseAll() released %d models; anonymous part %.0f MB -> %.0f MB%n", rssBefore, rssLoaded,
    rssMegabytes(), released, anonLoaded, procMegabytes("RssAnon"));
System.out.println("notebook: loaded after release " + SharedModels.loaded());
/exit same ? 0 : 1
