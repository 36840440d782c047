package org.l2cbeam.pipelines.cli;

import ai.djl.Device;
import java.nio.file.Path;
import java.util.Set;
import org.l2cbeam.core.io.OutputFile;
import org.l2cbeam.core.runtime.ComputeDevice;
import org.l2cbeam.core.runtime.Torch;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;

/**
 * The {@code l2c} command line: a stable contract, since it is how anyone reproduces our numbers.
 */
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
      RetrainCommand.class,
    })
public final class L2c implements Runnable {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(System.err);
  }

  public static void main(String[] args) {
    // A library thread that dies (say, of an OutOfMemoryError) says so in one line too, not with a
    // stack trace.
    Thread.setDefaultUncaughtExceptionHandler(
        (thread, e) -> {
          System.err.println("l2c: error: " + UserMessages.describe(e));
          if (System.getenv("L2C_DEBUG") != null) e.printStackTrace();
        });
    System.exit(execute(args));
  }

  /**
   * Runs the CLI and returns its exit code. Every failure, bad input or a broken environment alike,
   * is one line {@code l2c: error: ...} and exit code 2, never a stack trace ({@code L2C_DEBUG=1}
   * adds it).
   */
  public static int execute(String... args) {
    CommandLine cli = new CommandLine(new L2c());
    addHelpOptions(cli);
    addDeviceOptions(cli);
    FiniteNumbers.register(cli);
    cli.setParameterExceptionHandler(
        (ex, badArgs) -> {
          CommandLine c = ex.getCommandLine();
          c.getErr().println("l2c: error: " + ex.getMessage());
          CommandLine.UnmatchedArgumentException.printSuggestions(ex, c.getErr());
          c.getErr()
              .println("Run '" + c.getCommandSpec().qualifiedName() + " --help' for its options.");
          return 2;
        });
    cli.setExecutionStrategy(
        parseResult -> {
          Integer help = CommandLine.executeHelpRequest(parseResult);
          if (help != null) return help;
          checkOutputs(parseResult);
          applyDevice(parseResult);
          return new CommandLine.RunLast().execute(parseResult);
        });
    cli.setExecutionExceptionHandler(
        (ex, commandLine, parseResult) -> {
          commandLine.getErr().println("l2c: error: " + UserMessages.describe(ex));
          if (System.getenv("L2C_DEBUG") != null) {
            ex.printStackTrace(commandLine.getErr());
          }
          return 2;
        });
    try {
      return cli.execute(args);
    } catch (OutOfMemoryError e) {
      System.err.println("l2c: error: " + UserMessages.describe(e));
      return 2;
    }
  }

  /**
   * {@code -h}/{@code --help} on every command and command group, e.g. {@code l2c router --help}.
   */
  private static void addHelpOptions(CommandLine cli) {
    for (CommandLine sub : cli.getSubcommands().values()) {
      if (sub.getCommandSpec().optionsMap().get("--help") == null) {
        sub.getCommandSpec()
            .addOption(
                OptionSpec.builder("-h", "--help")
                    .usageHelp(true)
                    .description("Show this help message and exit.")
                    .build());
      }
      addHelpOptions(sub);
    }
  }

  /**
   * Commands that load no model, and {@code pipeline}, whose {@code --device} is the pipeline's own
   * option (passed to Beam with the rest of its arguments).
   */
  private static final Set<String> WITHOUT_DEVICE =
      Set.of(
          "l2c inspect",
          "l2c router show",
          "l2c router convert",
          "l2c router theta",
          "l2c pipeline");

  /**
   * {@code --device auto|cpu|gpu[:N]} on every command that runs a model: one option, defined here
   * once rather than on each command, because it decides a process-wide default (see {@link
   * #applyDevice}).
   */
  private static void addDeviceOptions(CommandLine cli) {
    for (CommandLine sub : cli.getSubcommands().values()) {
      CommandSpec spec = sub.getCommandSpec();
      if (sub.getSubcommands().isEmpty() && !WITHOUT_DEVICE.contains(spec.qualifiedName())) {
        spec.addOption(
            OptionSpec.builder("--device")
                .paramLabel("auto|cpu|gpu[:N]")
                .type(String.class)
                .description(
                    "where the models run: auto (default: the first GPU if the engine sees one, else the CPU),"
                        + " cpu, gpu or gpu:N. A GPU needs the CUDA build (mvn -Pcuda); the oneDNN kernels are CPU-only,"
                        + " so on a GPU models run the plain kernels.")
                .build());
      }
      addDeviceOptions(sub);
    }
  }

  /**
   * Makes {@code --device} the device of every model and tensor this process creates: the commands,
   * and the Beam pipelines some of them start in-process, place their models through the JVM's
   * default device ({@code -Dl2c.device}), which is resolved once, on first use. A GPU that the
   * engine does not see fails here, before any work, with one line naming the device and the engine
   * build.
   */
  private static void applyDevice(CommandLine.ParseResult parseResult) {
    CommandLine.ParseResult leaf = parseResult;
    while (leaf.hasSubcommand()) leaf = leaf.subcommand();
    String value = leaf.matchedOptionValue("--device", null);
    if (value == null) return;
    CommandSpec spec = leaf.commandSpec();
    try {
      ComputeDevice requested = ComputeDevice.parse(value, "--device");
      Device device = requested.resolve();
      System.setProperty("l2c.device", requested.toString());
      if (!Torch.defaultDevice().equals(device)) {
        throw new IllegalStateException(
            "--device "
                + requested
                + ": this process already runs its models on "
                + ComputeDevice.describe(Torch.defaultDevice())
                + " (the device is chosen once per process)");
      }
    } catch (IllegalArgumentException | IllegalStateException e) {
      throw new CommandLine.ExecutionException(spec.commandLine(), e.getMessage(), e);
    }
  }

  /**
   * Every command's {@code --out}/{@code --output} is checked before the command runs (writable
   * folder, not a directory; a {@code DIR} option must be a folder), so a long job never fails at
   * its final rename.
   */
  private static void checkOutputs(CommandLine.ParseResult parseResult) {
    CommandLine.ParseResult leaf = parseResult;
    while (leaf.hasSubcommand()) leaf = leaf.subcommand();
    CommandSpec spec = leaf.commandSpec();
    for (OptionSpec o : spec.options()) {
      if (!(o.getValue() instanceof Path)
          || !(o.longestName().equals("--out") || o.longestName().equals("--output"))) {
        continue;
      }
      Path target = o.getValue();
      try {
        if ("DIR".equals(o.paramLabel())) {
          OutputFile.checkFolder(target, o.longestName());
        } else {
          OutputFile.check(target, o.longestName());
        }
      } catch (IllegalArgumentException e) {
        throw new CommandLine.ExecutionException(spec.commandLine(), e.getMessage(), e);
      }
    }
  }
}
