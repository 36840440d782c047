package org.l2cbeam.pipelines.cli;

import java.io.PrintStream;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.l2cbeam.core.model.ModelCheckpoint;
import org.l2cbeam.registry.LatestPointer;
import org.l2cbeam.registry.PublishedRouter;
import org.l2cbeam.registry.RegistryEntry;
import org.l2cbeam.registry.RouterKey;
import org.l2cbeam.registry.RouterRegistry;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code l2c router registry REGISTRY --model CKPT [--steps N] [--rollback V]}: the versions a
 * router registry holds for one model and step count, one line each ({@code v2 LATEST created
 * 2026-… fid 35.6405 parent v1 sha256 …}), then the latest pointer's history; with {@code
 * --rollback V}, first points latest back at version V.
 */
@Command(
    name = "registry",
    description = {
      "List the router versions a registry (a directory or gs://BUCKET/PREFIX) holds for a model and step count, and",
      "the history of its latest pointer; --rollback V points latest at version V first (a new pointer generation)."
    })
final class RouterRegistryCommand implements Callable<Integer> {
  @Parameters(
      index = "0",
      paramLabel = "REGISTRY",
      description = "a local directory or gs://BUCKET/PREFIX")
  String registry;

  @Option(
      names = "--model",
      required = true,
      paramLabel = "CKPT",
      description =
          "the checkpoint the routers are for (its weights' sha256 keys the registry), e.g. builtin:fmnist-dit")
  String model;

  @Option(
      names = "--steps",
      defaultValue = "20",
      paramLabel = "N",
      description = "sampling steps (default 20)")
  int steps;

  @Option(
      names = "--rollback",
      paramLabel = "V",
      description = "make version V the latest (e.g. 3 or v3)")
  String rollback;

  @Override
  public Integer call() {
    ModelCheckpoint checkpoint = ModelCheckpoint.open(model);
    RouterKey key =
        new RouterKey(
            checkpoint.fingerprint(),
            checkpoint.family().sampler().toLowerCase(Locale.ROOT),
            steps);
    RouterRegistry r = RouterRegistry.open(registry);
    PrintStream out = System.out;
    if (rollback != null) {
      String v = rollback.startsWith("v") ? rollback.substring(1) : rollback;
      int version;
      try {
        version = Integer.parseInt(v);
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException(
            "--rollback: '" + rollback + "' is not a version (3 or v3)");
      }
      PublishedRouter now = r.rollback(key, version);
      out.println("latest is now " + now.versionName());
    }
    System.err.println(r.root() + ": " + key.folder());
    for (RegistryEntry e : r.list(key)) {
      StringBuilder line =
          new StringBuilder(String.format(Locale.ROOT, "v%-4d %-11s", e.version(), e.status()));
      if (e.manifest() != null) {
        line.append(" created ").append(e.manifest().created());
        e.manifest()
            .metric("fid")
            .ifPresent(f -> line.append(String.format(Locale.ROOT, " fid %.4f", f)));
        line.append(" parent ")
            .append(e.manifest().parentVersion() == 0 ? "-" : "v" + e.manifest().parentVersion());
        line.append(" sha256 ").append(e.manifest().routerSha256(), 0, 12);
      }
      out.println(line);
    }
    for (LatestPointer.Change c :
        r.pointer(key).map(LatestPointer::history).orElse(java.util.List.of())) {
      out.printf(
          Locale.ROOT,
          "latest #%d -> v%d (%s, %s)%n",
          c.sequence(),
          c.version(),
          c.action(),
          c.at());
    }
    return 0;
  }
}
