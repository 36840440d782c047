package org.l2cbeam.pipelines.demo;

import ai.djl.ndarray.NDManager;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.l2cbeam.core.data.FashionMnist;
import org.l2cbeam.core.diffusion.Guidance;
import org.l2cbeam.core.image.ImageBatch;
import org.l2cbeam.core.image.ImageConversions;
import org.l2cbeam.core.image.PngGrid;
import org.l2cbeam.core.model.DiT;
import org.l2cbeam.core.model.DiTLoader;
import org.l2cbeam.core.router.CacheSchedule;
import org.l2cbeam.core.router.UnitMacs;
import org.l2cbeam.core.router.train.InMemoryExamples;
import org.l2cbeam.core.router.train.TrainingExamples;
import org.l2cbeam.core.router.train.TrainingSettings;
import org.l2cbeam.core.runtime.Torch;
import org.l2cbeam.pipelines.report.BenchmarkReport;
import org.l2cbeam.pipelines.report.FrontierChart;
import org.l2cbeam.pipelines.report.ReportJson;
import org.l2cbeam.pipelines.report.ReportMarkdown;
import org.l2cbeam.pipelines.report.RouterHeatmapChart;
import org.l2cbeam.pipelines.report.SettingResult;
import org.l2cbeam.core.io.AtomicFile;

/**
 * The L2C study on the bundled Fashion-MNIST DiT, end to end: train routers on Fashion-MNIST training images, choose
 * thresholds by MAC budget, sample the same requests under every setting (plain DDIM at several step counts, DDIM
 * with the learned cache schedule), score FID-FMNIST and time each setting in this one process, then write the
 * report, the sample grids and the plots.
 */
public final class Demo {
  public static final String MODEL = "builtin:fmnist-dit";
  /** The CFG scale of the model card's FID (w = 1.5, guiding the model's only channel). */
  static final double CFG_SCALE = 1.5;
  /** The fractions of the run's MACs the two cached settings remove (the brief: ~25%, and a harder second point). */
  static final double[] REMOVE = {0.25, 0.40};
  /**
   * Training images: the first 10 000 of Fashion-MNIST's training split, identical in the bundled subset and in the
   * full Debian dataset, so every machine trains on the same data.
   */
  static final int TRAINING_IMAGES = 10_000;

  private final DemoSize size;
  private final long seed;
  /** λ for every router, or null for the spec's value per step count. */
  private final Double lambda;
  private final PrintStream log;

  public Demo(DemoSize size, long seed, Double lambda, PrintStream log) {
    this.size = size;
    this.seed = seed;
    this.lambda = lambda;
    this.log = log;
  }

  /** Runs the whole study into {@code dir} and returns the report. */
  public BenchmarkReport run(Path dir) throws IOException {
    Files.createDirectories(dir);
    long start = System.nanoTime();
    try (NDManager manager = Torch.newManager()) {
      DiT dit = DiTLoader.load(MODEL, 0, manager);
      String fingerprint = DiTLoader.stateDict(MODEL).fingerprint();
      UnitMacs macs = UnitMacs.of(dit.config());
      log.printf("[demo] %s: %s, %d cache units; %s preset%n", MODEL, dit, dit.units(), size.name());

      // 1. Routers.
      TrainingExamples examples = trainingImages();
      RouterStage routers = new RouterStage(dit, fingerprint, log);
      Map<Integer, RouterStage.Trained> trained = new LinkedHashMap<>();
      List<Integer> routerSteps = size.ddim50() ? List.of(20, 50) : List.of(20);
      for (int steps : routerSteps) {
        RouterStage.Trained t =
            routers.train(
                steps, examples, size, lambda != null ? lambda : TrainingSettings.defaultLambda(steps), seed);
        t.artifact().write(dir.resolve("router-ddim" + steps + ".json"));
        trained.put(steps, t);
      }
      Torch.inferenceMode();

      // 2. Settings: thresholds by MAC budget, and plain DDIM at the step counts those budgets correspond to.
      Map<Integer, double[][]> betas = new LinkedHashMap<>();
      trained.forEach((steps, t) -> betas.put(steps, t.beta()));
      SettingsPlan.Plan plan = SettingsPlan.plan(betas, macs, REMOVE, 20);
      List<SamplingSetting> settings = plan.settings();
      List<String> notes = new ArrayList<>(plan.notes());

      // 3. Sample, time and score every setting on the same requests.
      SampleRequests requests = SampleRequests.balanced(size.samples(), dit.config().numClasses, seed);
      TimedSampler sampler =
          new TimedSampler(dit, new Guidance(CFG_SCALE, Guidance.Channels.ALL), size.batch());
      warmUp(sampler);
      List<SettingResult> results = new ArrayList<>();
      try (FidScorer scorer = new FidScorer()) {
        for (SamplingSetting s : settings) {
          String tag = "[sample " + s.label() + "]";
          TimedSampler.Result r =
              sampler.sample(s, requests, done -> log.printf("%s %d/%d images%n", tag, done, requests.size()));
          double fid = scorer.fid(r.images());
          writeGrid(r.images(), requests, dir.resolve("samples-" + s.name() + ".png"));
          CacheSchedule schedule = s.isCached() ? s.schedule() : CacheSchedule.allCompute(s.steps(), dit.units());
          double macsPerImage = 2 * macs.run(schedule); // CFG doubles every forward
          log.printf(Locale.ROOT, "%s %.1f ms/image, FID %.2f%n", tag, 1000 * r.secondsPerImage(), fid);
          results.add(
              new SettingResult(
                  s.name(), s.label(), s.isCached() ? SettingResult.L2C : SettingResult.PLAIN, s.steps(), s.theta(),
                  macsPerImage, r.secondsPerImage(), fid, requests.size(), s.baseline()));
        }
      }

      // 4. Report and pictures.
      for (RouterStage.Trained t : trained.values()) {
        notes.add(
            String.format(
                Locale.ROOT,
                "DDIM-%d router: trained for %d iterations of batch %d (random cache step per iteration, spec §2.4),"
                    + " λ = %.3g, lr = %.3g, in %.0f s.",
                t.steps(), size.trainIterations(), size.trainBatch(), t.lambda(), size.learningRate(), t.seconds()));
      }
      notes.add(
          "Latency: wall time of the sampler alone (initial noise to samples in Java memory), batch "
              + size.batch() + ", this machine, " + Runtime.getRuntime().availableProcessors() + " cores.");
      notes.add(String.format(Locale.ROOT, "Whole demo: %.0f s.", (System.nanoTime() - start) / 1e9));
      BenchmarkReport report =
          new BenchmarkReport(
              "L2C on the bundled Fashion-MNIST DiT",
              MODEL,
              FidScorer.REFERENCE,
              CFG_SCALE,
              requests.size() + " per setting: label i % 10, seed " + seed + " + i (the same for every setting)",
              "in-process (DJL PyTorch CPU)",
              notes,
              results);
      AtomicFile.writeString(dir.resolve("report.md"), ReportMarkdown.render(report));
      AtomicFile.writeString(dir.resolve("report.json"), ReportJson.render(report));
      RouterStage.Trained main = trained.get(20);
      RouterHeatmapChart.write(
          dir.resolve("router-heatmap.png"),
          RouterHeatmapChart.of(
              main.scores(), "Learned DDIM-20 router, " + MODEL, settings.stream().filter(x -> x.name().equals("ddim20-l2c25")).findFirst().orElseThrow().theta()));
      FrontierChart.write(dir.resolve("fid-vs-latency.png"), report);
      return report;
    }
  }

  private TrainingExamples trainingImages() {
    FashionMnist data = FashionMnist.openDefault();
    ImageBatch all = data.images(FashionMnist.Split.TRAIN);
    byte[] labels = data.labels(FashionMnist.Split.TRAIN);
    int n = Math.min(TRAINING_IMAGES, all.count());
    ImageBatch images = all.slice(0, n);
    int[] y = new int[n];
    for (int i = 0; i < n; i++) y[i] = labels[i];
    float[] x = ImageConversions.toSignedUnitPadded(images, 2);
    return new InMemoryExamples(
        new int[] {1, 32, 32}, x, y, data.directory() + " (train, first " + n + " images)");
  }

  /** A short untimed run so that the first timed setting does not pay for one-off native initialisation. */
  private void warmUp(TimedSampler sampler) {
    SamplingSetting warm = new SamplingSetting("warmup", "warm-up", 4, null, null, "warmup", null);
    sampler.sample(warm, SampleRequests.balanced(Math.min(10, size.batch()), 10, seed), done -> {});
  }

  /** Rows are the 10 classes, columns the first 8 samples of each class (fewer if fewer were drawn). */
  private static void writeGrid(ImageBatch images, SampleRequests requests, Path png) throws IOException {
    int classes = 10;
    int cols = Math.min(8, requests.size() / classes);
    int per = images.imageBytes();
    byte[] px = new byte[classes * cols * per];
    for (int c = 0; c < classes; c++) {
      int col = 0;
      for (int i = 0; i < requests.size() && col < cols; i++) {
        if (requests.labels()[i] == c) {
          System.arraycopy(images.pixels(), i * per, px, (c * cols + col) * per, per);
          col++;
        }
      }
    }
    PngGrid.write(
        new ImageBatch(classes * cols, images.height(), images.width(), images.channels(), px), classes, cols, png);
  }
}
