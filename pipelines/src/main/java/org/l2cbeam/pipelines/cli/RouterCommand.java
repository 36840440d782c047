package org.l2cbeam.pipelines.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * {@code l2c router ...}: inspect and convert L2C routers (official checkpoints or our JSON
 * artifact).
 */
@Command(
    name = "router",
    description =
        "Inspect, convert, train and tune L2C routers, list or roll back a router registry, and measure the"
            + " redundancy between paired steps that routers exploit.",
    subcommands = {
      RouterShowCommand.class,
      RouterConvertCommand.class,
      RouterTrainCommand.class,
      RouterThetaCommand.class,
      RouterRegistryCommand.class,
      RouterRedundancyCommand.class
    })
final class RouterCommand implements Runnable {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(System.err);
  }

  /** Picocli converter for {@code --model dit|uvit}. */
  static final class FamilyConverter
      implements CommandLine.ITypeConverter<org.l2cbeam.core.router.ModelFamily> {
    @Override
    public org.l2cbeam.core.router.ModelFamily convert(String value) {
      try {
        return org.l2cbeam.core.router.ModelFamily.parse(value);
      } catch (IllegalArgumentException e) {
        throw new CommandLine.TypeConversionException("--model: " + e.getMessage());
      }
    }
  }
}
