package org.l2cbeam.pipelines.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * {@code l2c bench ...}: benchmarks that print figures (the README's performance section quotes
 * them). Each benchmark is a subcommand; add new ones to the list below.
 */
@Command(
    name = "bench",
    description = "Benchmarks that print measured figures.",
    subcommands = {
      BenchLoadCommand.class,
      BenchVaeCommand.class,
      BenchFidCommand.class,
      BenchDitCommand.class,
      BenchUViTCommand.class,
      BenchRouterCommand.class,
      BenchBeamCommand.class,
      BenchBf16Command.class,
      BenchReleaseCommand.class,
    })
final class BenchCommand implements Runnable {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(System.err);
  }
}
