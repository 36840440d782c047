package org.l2cbeam.pipelines.cli;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.l2cbeam.core.model.DiTConfig;
import org.l2cbeam.core.model.ModelCheckpoint;
import org.l2cbeam.core.model.UViTConfig;
import org.l2cbeam.core.router.CacheSchedule;
import org.l2cbeam.core.router.ModelFamily;
import org.l2cbeam.core.router.RouterArtifact;
import org.l2cbeam.core.router.RouterScores;
import org.l2cbeam.core.router.ThetaSearch;
import org.l2cbeam.core.router.UnitMacs;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code l2c router theta ROUTER --remove-macs F | --speedup S}: the smallest θ whose static
 * schedule skips at least that share of the sampling run's MACs (attention and MLP units costed
 * apart), then the schedule, one line per cache step as {@code l2c router show} prints it.
 */
@Command(
    name = "theta",
    description = "Pick the threshold theta that meets a MAC budget, and print its schedule.")
final class RouterThetaCommand implements Callable<Integer> {
  @Parameters(
      index = "0",
      paramLabel = "ROUTER",
      description =
          "router JSON, or an official router checkpoint (DiT's DDIM20_router.pt, U-ViT's dpm20_router.pth)")
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
        description =
            "target speedup if time were proportional to MACs, e.g. 1.3 (= --remove-macs 1-1/S)")
    Double speedup;
  }

  @ArgGroup(exclusive = true, multiplicity = "1")
  Budget budget;

  @Option(
      names = "--model",
      paramLabel = "CKPT",
      description =
          "the DiT or U-ViT the router is for, to cost its units (default: builtin:fmnist-dit if the router was"
              + " trained on it, DiT-XL/2 at 256 px for a 56-unit DiT router, U-ViT-H/2 for a 58-unit U-ViT router)")
  String model;

  @Option(
      names = "--out",
      paramLabel = "ROUTER.json",
      description = "also write the router JSON with the chosen theta")
  Path out;

  @Override
  public Integer call() throws IOException {
    RouterArtifact artifact = RouterArtifact.open(file);
    RouterScores scores = artifact.scores();
    UnitMacs macs = macsFor(artifact);
    if (macs.units() != scores.units()) {
      throw new IllegalArgumentException(
          file
              + " has "
              + scores.units()
              + " units per router but --model has "
              + macs.units()
              + " cache units");
    }
    ThetaSearch.Choice c =
        budget.removeMacs != null
            ? scores.forRemovedFraction(macs, budget.removeMacs)
            : ThetaSearch.forSpeedup(scores.betaPerRow(), scores.cacheRows(), macs, budget.speedup);
    PrintStream o = System.out;
    CacheSchedule schedule = c.schedule();
    o.printf(Locale.ROOT, "theta %.6g%n", c.theta());
    o.printf(
        Locale.ROOT,
        "removed %.2f%% of the run's MACs (%.4g of %.4g GMAC per image over %d steps), MAC speedup %.3fx%n",
        100 * c.removedFraction(),
        c.removedFraction() * c.fullRunMacs() / 1e9,
        c.fullRunMacs() / 1e9,
        scores.nfe(),
        c.macSpeedup());
    schedule.cacheRowLines(scores.family().pairing()).forEach(o::println);
    o.println(scores.summarize(schedule));
    if (out != null) {
      artifact.withTheta(c.theta()).write(out);
      System.err.println("wrote " + out);
    }
    return 0;
  }

  /**
   * The unit costs of the model the router is for: {@code --model}, else the bundled DiT if the
   * router was trained on it, else the released model its unit count belongs to (DiT-XL/2 at 256 px
   * for 56 units, U-ViT-H/2 for 58).
   */
  private UnitMacs macsFor(RouterArtifact artifact) {
    ModelFamily family = artifact.family();
    if (model != null) {
      ModelCheckpoint.Summary m = ModelCheckpoint.open(model, family).validate(0);
      return m.macs;
    }
    String builtin = "builtin:fmnist-dit";
    ModelCheckpoint fmnist = ModelCheckpoint.open(builtin);
    if (family == ModelFamily.DIT && fmnist.fingerprint().equals(artifact.modelFingerprint())) {
      return fmnist.validate(0).macs;
    }
    if (family == ModelFamily.DIT && artifact.scores().units() == 56) {
      return UnitMacs.of(DiTConfig.official("DiT-XL/2", 32));
    }
    if (family == ModelFamily.UVIT && artifact.scores().units() == 58) {
      return UnitMacs.of(UViTConfig.huge256());
    }
    throw new IllegalArgumentException(
        file
            + " was trained on model "
            + artifact.modelFingerprint()
            + "; pass --model CKPT to cost its units");
  }
}
