package org.l2cbeam.pipelines.cli;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.l2cbeam.core.diffusion.SamplingRun;
import org.l2cbeam.core.model.DiffusionTransformer;
import org.l2cbeam.core.router.ModelFamily;
import org.l2cbeam.core.router.RouterScores;
import org.l2cbeam.core.router.UnitRedundancy;
import org.l2cbeam.core.runtime.Torch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code l2c router redundancy --model CKPT --steps N [--cfg-scale W] [--samples S] [--router R]}:
 * how much each cache unit's output changes between the two steps L2C pairs ({@link
 * UnitRedundancy}), on the plain sampler's trajectory. Prints one line per cache step (the pair's
 * network times, the change of the guided ε, the attention and MLP means, then {@code
 * attention/MLP} per block), with {@code --router} the same table of the router's β, and last the
 * whole result as one line of JSON.
 */
@Command(
    name = "redundancy",
    description = {
      "Measure how much each cache unit's output changes between the paired full and cache steps of a sampling run:"
          + " |o(cache step) - o(full step)| / |o(cache step)|, mean over requests (and their unconditional twins)."
          + " Small values are what a cache schedule can reuse.",
      "Prints a table (cache step x block, attention/MLP), then the result as one line of JSON."
    })
final class RouterRedundancyCommand implements Callable<Integer> {
  @Mixin ModelCheckpointOptions checkpoint;

  @Option(
      names = "--steps",
      required = true,
      paramLabel = "N",
      description = "DiT: DDIM steps; U-ViT: network evaluations NFE (even), as l2c sample --steps")
  int steps;

  @Option(
      names = "--cfg-scale",
      paramLabel = "W",
      description = "classifier-free guidance weight (default 1.5 for DiT, 1.4 for U-ViT)")
  Double cfgScale;

  @Option(
      names = "--samples",
      defaultValue = "64",
      paramLabel = "S",
      description =
          "requests: request i has label i mod the model's classes and the noise of seed --seed + i"
              + " (default ${DEFAULT-VALUE})")
  int samples;

  @Option(
      names = "--seed",
      defaultValue = "0",
      paramLabel = "K",
      description = "seed of request 0 (default 0)")
  long seed;

  @Option(
      names = "--batch",
      defaultValue = "" + UnitRedundancy.DEFAULT_BATCH,
      paramLabel = "B",
      description =
          "requests per model call; bounds the memory of the two recorded caches (default ${DEFAULT-VALUE})")
  int batch;

  @Option(
      names = "--router",
      paramLabel = "R",
      description =
          "also print the beta = sigmoid(p_k) this router learned for each unit (official checkpoint or"
              + " router JSON; its rows must equal --steps)")
  Path router;

  @Override
  public Integer call() {
    if (samples < 1)
      throw new IllegalArgumentException("--samples must be positive, got " + samples);
    CommandInputs.checkSeed(seed, samples);
    ModelFamily family = checkpoint.checkpoint().family();
    RouterScores scores = router == null ? null : RouterScores.load(router, family);
    Torch.inferenceMode();
    UnitRedundancy.Result r;
    try (DiffusionTransformer model = checkpoint.load()) {
      long[] labels = new long[samples];
      for (int i = 0; i < samples; i++) labels[i] = i % model.numClasses();
      SamplingRun run =
          SamplingRun.of(model)
              .steps(steps)
              .cfgScale(cfgScale == null ? family.defaultCfgScale() : cfgScale)
              .guidedChannels(checkpoint.guidedChannels())
              .build();
      UnitRedundancy measure = UnitRedundancy.of(run).withBatch(batch);
      if (scores != null && (scores.nfe() != steps || scores.units() != model.units())) {
        throw new IllegalArgumentException(
            router
                + ": the router has "
                + scores.nfe()
                + " steps x "
                + scores.units()
                + " units, but --steps is "
                + steps
                + " and the model has "
                + model.units()
                + " cache units");
      }
      System.err.printf(
          Locale.ROOT,
          "%s: %s, %d cache units, %d steps, %d requests from seed %d%n",
          checkpoint.model,
          family.id(),
          model.units(),
          steps,
          samples,
          seed);
      r = measure.measure(seed, labels);
    }
    if (scores != null) r = r.withRouter(scores);
    PrintStream out = System.out;
    out.printf(
        Locale.ROOT,
        "relative change from the full step, mean over %d requests x %d rows (CFG %s); per block: attention/MLP%n",
        r.requests(),
        r.rowsPerRequest(),
        r.cfgScale());
    printTable(out, r, false);
    if (r.hasRouter()) {
      out.println(
          "router beta = sigmoid(p_k) (computed iff beta > theta); per block: attention/MLP");
      printTable(out, r, true);
    }
    out.println(r.toJson());
    return 0;
  }

  /** One line per cache step, then the means over the steps. */
  static void printTable(PrintStream out, UnitRedundancy.Result r, boolean beta) {
    int blocks = r.units() / 2;
    StringBuilder head =
        new StringBuilder(
            String.format(
                Locale.ROOT,
                "%-5s %-15s %6s %6s %6s",
                "row",
                "time full>cache",
                beta ? "" : "eps",
                "attn",
                "mlp"));
    for (int b = 0; b < blocks; b++) head.append(String.format(Locale.ROOT, " %11s", "block" + b));
    out.println(head);
    for (int i = 0; i < r.cacheSteps(); i++) {
      StringBuilder line =
          new StringBuilder(
              String.format(
                  Locale.ROOT,
                  "%-5d %-15s %6s %6.3f %6.3f",
                  r.row(i),
                  time(r.fullStepTime(i)) + ">" + time(r.cacheStepTime(i)),
                  beta ? "" : String.format(Locale.ROOT, "%6.3f", r.outputChange(i)),
                  beta ? kindMean(r, i, 0) : r.attentionMean(i),
                  beta ? kindMean(r, i, 1) : r.mlpMean(i)));
      for (int b = 0; b < blocks; b++) {
        double a = beta ? r.routerBeta(i, 2 * b) : r.unitChange(i, 2 * b);
        double m = beta ? r.routerBeta(i, 2 * b + 1) : r.unitChange(i, 2 * b + 1);
        line.append(String.format(Locale.ROOT, " %5.3f/%5.3f", a, m));
      }
      out.println(line);
    }
    if (!beta) {
      out.printf(
          Locale.ROOT,
          "%-5s %-15s %6.3f %6.3f %6.3f%n",
          "mean",
          "",
          r.outputMean(),
          r.attentionMean(),
          r.mlpMean());
    }
  }

  private static double kindMean(UnitRedundancy.Result r, int i, int kind) {
    double s = 0;
    for (int u = kind; u < r.units(); u += 2) s += r.routerBeta(i, u);
    return s / (r.units() / 2);
  }

  private static String time(double t) {
    return t == Math.rint(t) ? Long.toString((long) t) : String.format(Locale.ROOT, "%.1f", t);
  }
}
