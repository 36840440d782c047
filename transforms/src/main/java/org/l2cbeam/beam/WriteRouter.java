package org.l2cbeam.beam;

import com.google.auto.value.AutoValue;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.display.DisplayData;
import org.apache.beam.sdk.values.PCollection;
import org.l2cbeam.core.router.RouterArtifact;

/**
 * Writes {@link TrainRouter}'s artifact as router JSON to one file, local or any Beam {@code
 * FileSystems} location ({@code gs://...}): first under a temporary name beside it, then renamed,
 * so a failed run never leaves a half-written router and a scheduled re-run replaces the file in
 * one step. Outputs the name written. The input must hold exactly one artifact.
 */
@AutoValue
public abstract class WriteRouter
    extends PTransform<PCollection<RouterArtifact>, PCollection<String>> {
  private static final long serialVersionUID = 1L;

  abstract String location();

  public static WriteRouter to(String location) {
    if (location == null || location.isBlank()) {
      throw new IllegalArgumentException("WriteRouter.to (output): the router file name is empty");
    }
    if (location.endsWith("/")) {
      throw new IllegalArgumentException(
          "WriteRouter.to (output): " + location + " names a directory, not a file");
    }
    return new AutoValue_WriteRouter(location);
  }

  @Override
  public PCollection<String> expand(PCollection<RouterArtifact> routers) {
    return routers
        .apply("WriteRouterJson", ParDo.of(new WriteFn(location())))
        .setCoder(StringUtf8Coder.of());
  }

  @Override
  public void populateDisplayData(DisplayData.Builder builder) {
    super.populateDisplayData(builder);
    builder.add(DisplayData.item("location", location()).withLabel("Router JSON"));
  }

  static final class WriteFn extends DoFn<RouterArtifact, String> {
    private final String location;
    private transient int written;

    WriteFn(String location) {
      this.location = location;
    }

    @StartBundle
    public void start() {
      written = 0;
    }

    @ProcessElement
    public void process(@Element RouterArtifact router, OutputReceiver<String> out)
        throws IOException {
      if (++written > 1) {
        throw new IllegalStateException(
            "WriteRouter.to(" + location + "): more than one router to write");
      }
      String json = router.toJson();
      ArtifactFile.write(location, o -> o.write(json.getBytes(StandardCharsets.UTF_8)));
      out.output(location);
    }
  }
}
