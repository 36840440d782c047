package org.l2cbeam.pipelines.cli;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.l2cbeam.core.router.CacheSchedule;
import org.l2cbeam.core.router.ModelFamily;
import org.l2cbeam.core.router.RouterArtifact;
import org.l2cbeam.core.router.RouterScores;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code l2c router show FILE --theta T [--model dit|uvit]}: the static schedule, one line per
 * cache step ({@code k <index> active <n>/<units> mask <bits>}, bit u = unit u, 1 = computed), then
 * a summary line.
 */
@Command(name = "show", description = "Print the cache schedule of a router at threshold theta.")
final class RouterShowCommand implements Callable<Integer> {
  @Parameters(
      index = "0",
      paramLabel = "FILE",
      description = "official router checkpoint (.pt/.pth) or router JSON")
  Path file;

  @Option(
      names = "--theta",
      paramLabel = "T",
      description =
          "compute unit u iff sigmoid(p[k][u]) > T (default: the JSON's theta, or 0.1 for DiT, 0.9 for U-ViT)")
  Double theta;

  @Option(
      names = "--model",
      paramLabel = "dit|uvit",
      converter = RouterCommand.FamilyConverter.class,
      description = "the model family the router must fit (default: detected from the file)")
  ModelFamily model;

  @Override
  public Integer call() {
    CommandInputs.checkTheta(theta);
    RouterScores scores = RouterScores.load(file, model);
    double t = theta != null ? theta : defaultTheta(scores);
    CacheSchedule schedule = scores.schedule(t);
    PrintStream out = System.out;
    System.err.printf(
        Locale.ROOT,
        "%s: %s router, %d steps x %d units, theta %s%n",
        file.getFileName(),
        scores.family().id(),
        scores.nfe(),
        scores.units(),
        t);
    schedule.cacheRowLines(scores.family().pairing()).forEach(out::println);
    out.println(scores.summarize(schedule));
    return 0;
  }

  /** A router JSON's own θ; the family's default for an official checkpoint (which stores none). */
  private double defaultTheta(RouterScores scores) {
    return RouterArtifact.looksLikeJson(file)
        ? RouterArtifact.read(file).theta()
        : scores.family().defaultTheta();
  }
}
