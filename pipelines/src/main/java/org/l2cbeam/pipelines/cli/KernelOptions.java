package org.l2cbeam.pipelines.cli;

import org.l2cbeam.core.model.Kernels;
import org.l2cbeam.core.model.ModelExecution;
import org.l2cbeam.core.model.Precision;
import picocli.CommandLine.Option;

/**
 * {@code --kernels} and {@code --precision} (a picocli mixin): how the models a command loads run.
 * Unset, the JVM's default applies ({@link ModelExecution#defaults()}: onednn/fp32).
 */
final class KernelOptions {
  @Option(
      names = "--kernels",
      paramLabel = "onednn|plain",
      description =
          "transformer kernels: onednn (packed oneDNN GEMMs, fused attention; the default) or plain (DJL"
              + " NDArray ops, the reference)")
  String kernels;

  @Option(
      names = "--precision",
      paramLabel = "fp32|bf16",
      description =
          "branch arithmetic: fp32 (default) or bf16 (opt-in, onednn only: about 2x faster on CPUs with"
              + " AVX-512 BF16, at a relative error of a few 1e-3)")
  String precision;

  /** The requested execution; errors name the option. */
  ModelExecution execution() {
    ModelExecution e = ModelExecution.defaults();
    if (kernels != null) e = e.withKernels(Kernels.parse(kernels, "--kernels"));
    if (precision != null) {
      Precision p = Precision.parse(precision, "--precision");
      if (p == Precision.BF16 && e.kernels() != Kernels.ONEDNN) {
        throw new IllegalArgumentException("--precision bf16 needs --kernels onednn");
      }
      e = e.withPrecision(p);
    }
    return e;
  }

  /**
   * Makes {@link #execution()} the default of every model this process loads (a command line runs
   * one job; the pipelines it starts load their models through the same default).
   */
  ModelExecution applyToProcess() {
    ModelExecution e = execution();
    System.setProperty("l2c.kernels", e.kernels().cliName());
    System.setProperty("l2c.precision", e.precision().cliName());
    return e;
  }
}
