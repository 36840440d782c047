package org.l2cbeam.pipelines.cli;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.l2cbeam.core.io.WeightMap;
import org.l2cbeam.core.model.DiTConfig;
import org.l2cbeam.core.model.DiTLoader;
import org.l2cbeam.core.router.CacheSchedule;
import org.l2cbeam.core.router.ModelFamily;
import org.l2cbeam.core.router.RouterArtifact;
import org.l2cbeam.core.router.RouterScores;
import org.l2cbeam.core.router.StepPairing;
import org.l2cbeam.core.router.ThetaSearch;
import org.l2cbeam.core.router.UnitMacs;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code l2c router theta ROUTER --remove-macs F | --speedup S}: the smallest θ whose static schedule skips at least
 * that share of the sampling run's MACs (attention and MLP units costed apart), then the schedule, one line per cache
 * step as {@code l2c router show} prints it.
 */
@Command(
    name = "theta",
    description = "Pick the threshold theta that meets a MAC budget, and print its schedule.")
final class RouterThetaCommand implements Callable<Integer> {
  @Parameters(index = "0", paramLabel = "ROUTER", description = "router JSON (or an official DiT router .pt)")
  Path file;

  static final class Budget {
    @Option(
        names = "--remove-macs",
        paramLabel = "F",
        required = true,
        description = "fraction of the whole sampling run's MACs to skip, e.g. 0.25")
    Double removeMacs;

    @Option(
        names = "--speedup",
        paramLabel = "S",
        required = true,
        description = "target speedup if time were proportional to MACs, e.g. 1.3 (= --remove-macs 1-1/S)")
    Double speedup;
  }

  @ArgGroup(exclusive = true, multiplicity = "1")
  Budget budget;

  @Option(
      names = "--model",
      paramLabel = "CKPT",
      description =
          "the DiT the router is for, to cost its units (default: builtin:fmnist-dit if the router was trained on it,"
              + " DiT-XL/2 at 256 px for a 56-unit router)")
  String model;

  @Option(names = "--out", paramLabel = "ROUTER.json", description = "also write the router JSON with the chosen theta")
  Path out;

  @Override
  public Integer call() throws IOException {
    boolean json = RouterArtifact.looksLikeJson(file);
    RouterArtifact artifact = json ? RouterArtifact.read(file) : RouterArtifact.importFrom(file, ModelFamily.DIT, null);
    RouterScores scores = artifact.scores();
    if (scores.family() != ModelFamily.DIT) {
      throw new IllegalArgumentException(file + ": theta selection is implemented for DiT routers, this one is "
          + scores.family().id());
    }
    DiTConfig config = configFor(artifact);
    UnitMacs macs = UnitMacs.of(config);
    if (macs.units() != scores.units()) {
      throw new IllegalArgumentException(
          file + " has " + scores.units() + " units per router but --model has " + macs.units() + " cache units");
    }
    StepPairing pairing = ModelFamily.DIT.pairing();
    int rows = scores.nfe();
    boolean[] cacheStep = new boolean[rows];
    double[][] beta = new double[rows][];
    float[][] logits = scores.logits();
    for (int k = 0; k < rows; k++) {
      cacheStep[k] = pairing.isCacheRow(k, rows);
      beta[k] = new double[logits[k].length];
      for (int u = 0; u < beta[k].length; u++) beta[k][u] = 1.0 / (1.0 + Math.exp(-logits[k][u]));
    }
    ThetaSearch.Choice c =
        budget.removeMacs != null
            ? ThetaSearch.forRemovedFraction(beta, cacheStep, macs, budget.removeMacs)
            : ThetaSearch.forSpeedup(beta, cacheStep, macs, budget.speedup);
    PrintStream o = System.out;
    CacheSchedule schedule = c.schedule();
    o.printf(Locale.ROOT, "theta %.6g%n", c.theta());
    o.printf(
        Locale.ROOT,
        "removed %.2f%% of the run's MACs (%.4g of %.4g GMAC per image over %d steps), MAC speedup %.3fx%n",
        100 * c.removedFraction(), c.removedFraction() * c.fullRunMacs() / 1e9, c.fullRunMacs() / 1e9, rows,
        c.macSpeedup());
    for (int k = 0; k < rows; k++) {
      if (cacheStep[k]) {
        o.printf(Locale.ROOT, "k %d active %d/%d mask %s%n", k, schedule.active(k), schedule.units(), schedule.bits(k));
      }
    }
    o.println(scores.summarize(schedule));
    if (out != null) {
      artifact.withTheta(c.theta()).write(out);
      System.err.println("wrote " + out);
    }
    return 0;
  }

  private DiTConfig configFor(RouterArtifact artifact) {
    if (model != null) {
      WeightMap w = DiTLoader.stateDict(model);
      return DiTLoader.config(model, w, -1);
    }
    String builtin = "builtin:fmnist-dit";
    WeightMap fmnist = DiTLoader.stateDict(builtin);
    if (fmnist.fingerprint().equals(artifact.modelFingerprint())) {
      return DiTLoader.config(builtin, fmnist, -1);
    }
    if (artifact.scores().units() == 56) {
      return DiTConfig.official("DiT-XL/2", 32);
    }
    throw new IllegalArgumentException(
        file + " was trained on model " + artifact.modelFingerprint() + "; pass --model CKPT to cost its units");
  }
}
