package org.l2cbeam.pipelines.cli;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.l2cbeam.core.router.ModelFamily;
import org.l2cbeam.core.router.RouterArtifact;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code l2c router convert FILE --out OUT.json}: an official router checkpoint to our JSON
 * artifact.
 */
@Command(
    name = "convert",
    description = "Convert an official L2C router checkpoint to the l2c router JSON format.")
final class RouterConvertCommand implements Callable<Integer> {
  @Parameters(
      index = "0",
      paramLabel = "FILE",
      description = "router checkpoint (.pt/.pth, .safetensors)")
  Path file;

  @Option(
      names = "--out",
      paramLabel = "OUT.json",
      required = true,
      description = "the JSON artifact to write")
  Path out;

  @Option(
      names = "--model",
      paramLabel = "dit|uvit",
      converter = RouterCommand.FamilyConverter.class,
      description = "the model family the router must fit (default: detected from the file)")
  ModelFamily model;

  @Option(
      names = "--theta",
      paramLabel = "T",
      description = "threshold to record (default 0.1 DiT, 0.9 U-ViT)")
  Double theta;

  @Override
  public Integer call() throws IOException {
    CommandInputs.checkTheta(theta);
    RouterArtifact artifact = RouterArtifact.importFrom(file, model, theta);
    artifact.write(out);
    System.out.printf(
        Locale.ROOT,
        "wrote %s: %s router, %d steps x %d units, theta %s, source sha256 %s%n",
        out,
        artifact.family().id(),
        artifact.steps(),
        artifact.units().size(),
        artifact.theta(),
        artifact.provenance().sourceSha256);
    return 0;
  }
}
