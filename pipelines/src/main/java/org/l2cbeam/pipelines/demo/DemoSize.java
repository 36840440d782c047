package org.l2cbeam.pipelines.demo;

/**
 * How big a demo run is. Two presets: the README's default (the whole study in about a quarter of an hour on 2 CPU
 * cores) and {@code --quick} (the same pipeline end to end, tiny, for smoke tests and CI).
 *
 * @param samples requests per setting (labels {@code i % 10}, so a multiple of 10 keeps the classes balanced)
 * @param batch images sampled per model call (doubled by CFG)
 * @param trainIterations router-training iterations per cache step (TrainRouter trains each cache step's router alone)
 * @param trainBatch training images per iteration
 * @param learningRate AdamW learning rate of the routers
 * @param ddim50 also train a DDIM-50 router and sample DDIM-50 plain and cached
 */
public record DemoSize(
    String name,
    int samples,
    int batch,
    int trainIterations,
    int trainBatch,
    double learningRate,
    boolean ddim50) {

  public DemoSize {
    if (samples < 10 || samples % 10 != 0) {
      throw new IllegalArgumentException("--samples must be a positive multiple of 10 (balanced labels), got " + samples);
    }
    if (batch < 1) {
      throw new IllegalArgumentException("--batch must be >= 1, got " + batch);
    }
    if (trainIterations < 1) {
      throw new IllegalArgumentException("--train-iterations must be >= 1, got " + trainIterations);
    }
    if (trainBatch < 1) {
      throw new IllegalArgumentException("--train-batch must be >= 1, got " + trainBatch);
    }
    if (!(learningRate > 0)) {
      throw new IllegalArgumentException("--lr must be > 0, got " + learningRate);
    }
  }

  public static final DemoSize DEFAULT = new DemoSize("default", 300, 100, 40, 16, 0.05, false);
  public static final DemoSize QUICK = new DemoSize("quick", 20, 20, 2, 8, 0.05, false);

  /** The {@code benchmark} pipeline's options for this preset (DirectRunner). */
  public java.util.List<String> benchmarkArgs(java.nio.file.Path out, long seed, Double lambda) {
    java.util.List<String> args = new java.util.ArrayList<>(java.util.List.of(
        "--runner=DirectRunner",
        "--model=builtin:fmnist-dit",
        "--stepCounts=" + (ddim50 ? "20,50" : "20"),
        "--trainData=builtin:fashion-mnist",
        "--trainIterations=" + trainIterations,
        "--trainBatch=" + trainBatch,
        "--trainLr=" + learningRate,
        "--macsRemoved=0.25,0.40",
        // DDIM-15 and -12 come from the budgets; 10 and 8 extend the plain line of the frontier plot.
        "--plainSteps=" + ("quick".equals(name) ? "" : "10,8"),
        "--samplesPerSetting=" + samples,
        "--seed=" + seed,
        "--cfgScale=1.5",
        "--modelBatch=" + batch,
        "--referenceStats=builtin:fmnist-test-stats",
        "--extractor=fmnist",
        "--output=" + out));
    if (lambda != null) args.add("--lambda=" + lambda);
    return args;
  }

  public DemoSize withSamples(int n) {
    return new DemoSize(name, n, batch, trainIterations, trainBatch, learningRate, ddim50);
  }

  public DemoSize withTrainIterations(int n) {
    return new DemoSize(name, samples, batch, n, trainBatch, learningRate, ddim50);
  }

  public DemoSize withDdim50(boolean on) {
    return new DemoSize(name, samples, batch, trainIterations, trainBatch, learningRate, on);
  }
}
