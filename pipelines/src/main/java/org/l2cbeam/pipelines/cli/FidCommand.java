package org.l2cbeam.pipelines.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * {@code l2c fid stats|score}: FID statistics of image sets and the Fréchet distance between them.
 */
@Command(
    name = "fid",
    description = "FID: compute feature statistics of an image set, or score two sets/statistics.",
    subcommands = {FidStatsCommand.class, FidScoreCommand.class})
final class FidCommand implements Runnable {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(System.err);
  }
}
