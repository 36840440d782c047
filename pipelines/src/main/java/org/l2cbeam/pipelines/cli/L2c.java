package org.l2cbeam.pipelines.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code l2c} command line: a stable contract, since it is how anyone reproduces our numbers. */
@Command(
    name = "l2c",
    mixinStandardHelpOptions = true,
    version = "l2c-beam 0.1.0",
    description = "Learning-to-Cache for diffusion transformers, on DJL and Apache Beam.",
    subcommands = {
      InspectCommand.class,
      VaeCommand.class,
      RouterCommand.class,
      BenchCommand.class,
      ForwardCommand.class,
      SampleCommand.class,
      FidCommand.class,
      DemoCommand.class,
      PipelineCommand.class,
    })
public final class L2c implements Runnable {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(System.err);
  }

  public static void main(String[] args) {
    System.exit(execute(args));
  }

  /** Runs the CLI and returns its exit code; errors are reported as one clear line, not a stack trace. */
  public static int execute(String... args) {
    CommandLine cli = new CommandLine(new L2c());
    cli.setExecutionExceptionHandler(
        (ex, commandLine, parseResult) -> {
          commandLine.getErr().println("l2c: error: " + describe(ex));
          if (System.getenv("L2C_DEBUG") != null) {
            ex.printStackTrace(commandLine.getErr());
          }
          return 2;
        });
    return cli.execute(args);
  }

  private static String describe(Throwable ex) {
    String msg = ex.getMessage();
    if (msg == null || msg.isBlank()) {
      msg = ex.getClass().getSimpleName();
    }
    return msg;
  }
}
