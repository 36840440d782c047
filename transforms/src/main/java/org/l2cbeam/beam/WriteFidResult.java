package org.l2cbeam.beam;

import com.google.auto.value.AutoValue;
import com.google.gson.GsonBuilder;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.display.DisplayData;
import org.apache.beam.sdk.values.PCollection;

/**
 * Writes a {@link FidResult} as a JSON file ({@code fid}, {@code imageCount}, {@code
 * featureDimension}, {@code extractor}, {@code reference}): under a temporary name, then renamed,
 * so a failed run leaves no partial file and a re-run rewrites the same bytes. The target is a
 * local path or any Beam {@code FileSystems} location. Meant for the single result of {@link
 * ComputeFID} in the global window; outputs the file written.
 */
@AutoValue
public abstract class WriteFidResult
    extends PTransform<PCollection<FidResult>, PCollection<String>> {
  private static final long serialVersionUID = 1L;

  abstract String target();

  public static WriteFidResult to(String target) {
    if (target == null || target.isBlank()) {
      throw new IllegalArgumentException("WriteFidResult.to: the output file is empty");
    }
    return new AutoValue_WriteFidResult(target);
  }

  @Override
  public PCollection<String> expand(PCollection<FidResult> results) {
    return results
        .apply("WriteJson", ParDo.of(new WriteFn(target())))
        .setCoder(StringUtf8Coder.of());
  }

  @Override
  public void populateDisplayData(DisplayData.Builder builder) {
    super.populateDisplayData(builder);
    builder.add(DisplayData.item("target", target()).withLabel("FID result (JSON)"));
  }

  /**
   * The JSON text of {@code r}; the distance is printed with all its digits (Java's shortest
   * round-trip form).
   */
  public static String toJson(FidResult r) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("fid", r.fid());
    m.put("imageCount", r.imageCount());
    m.put("featureDimension", r.featureDimension());
    m.put("extractor", r.extractor());
    m.put("reference", r.reference());
    m.put("label", r.label());
    m.put("scheduleId", r.scheduleId());
    m.put("theta", r.theta());
    m.put("macsRemoved", r.macsRemoved());
    return new GsonBuilder()
            .setPrettyPrinting()
            .serializeSpecialFloatingPointValues()
            .create()
            .toJson(m)
        + "\n";
  }

  /**
   * The {@link FidResult} in a file {@link WriteFidResult} wrote (local), e.g. to print it after
   * the pipeline ran. Files of earlier versions, without label and schedule, read with both empty.
   */
  public static FidResult read(String file) throws IOException {
    Path p = file.startsWith("file://") ? Path.of(java.net.URI.create(file)) : Path.of(file);
    com.google.gson.JsonObject o;
    try {
      o =
          com.google.gson.JsonParser.parseString(java.nio.file.Files.readString(p))
              .getAsJsonObject();
      return FidResult.of(
          o.get("fid").getAsDouble(),
          o.get("imageCount").getAsLong(),
          o.get("featureDimension").getAsInt(),
          o.get("extractor").getAsString(),
          o.get("reference").getAsString(),
          o.has("label") ? o.get("label").getAsString() : "",
          o.has("scheduleId") ? o.get("scheduleId").getAsString() : "");
    } catch (RuntimeException e) {
      throw new IOException(
          file + " is not a FID result written by WriteFidResult: " + e.getMessage(), e);
    }
  }

  static final class WriteFn extends DoFn<FidResult, String> {
    private final String target;

    WriteFn(String target) {
      this.target = target;
    }

    @ProcessElement
    public void process(@Element FidResult r, OutputReceiver<String> out) {
      byte[] json = toJson(r).getBytes(StandardCharsets.UTF_8);
      ArtifactFile.write(target, o -> o.write(json));
      out.output(target);
    }
  }
}
