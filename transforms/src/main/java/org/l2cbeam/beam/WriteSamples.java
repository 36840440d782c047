package org.l2cbeam.beam;

import com.google.auto.value.AutoValue;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.coders.VoidCoder;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.GroupByKey;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.WithKeys;
import org.apache.beam.sdk.transforms.display.DisplayData;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.TypeDescriptors;
import org.l2cbeam.core.io.AtomicFile;
import org.l2cbeam.core.io.NpzWriter;
import org.l2cbeam.core.io.TensorData;

/**
 * Writes generated images as one sample file set: {@code DIR/samples.npz} ({@code arr_0}: uint8
 * NHWC in request-id order, the format ADM's evaluator reads) and {@code DIR/samples.png} (a grid).
 * Both are written under a temporary name and renamed, so a failed run never leaves a half-written
 * file, and a re-run with the same requests rewrites the same bytes. {@code DIR} is a local
 * directory or any Beam {@code FileSystems} location ({@code gs://...}). Outputs the names of the
 * files written.
 */
@AutoValue
public abstract class WriteSamples
    extends PTransform<PCollection<GeneratedSample>, PCollection<String>> {
  private static final long serialVersionUID = 1L;
  public static final String NPZ = "samples.npz";
  public static final String PNG = "samples.png";

  abstract String directory();

  abstract int gridColumns();

  abstract Builder toBuilder();

  @AutoValue.Builder
  abstract static class Builder {
    abstract Builder setDirectory(String directory);

    abstract Builder setGridColumns(int columns);

    abstract WriteSamples build();
  }

  public static WriteSamples to(String directory) {
    if (directory == null || directory.isBlank()) {
      throw new IllegalArgumentException("WriteSamples.to: the output directory is empty");
    }
    return new AutoValue_WriteSamples.Builder().setDirectory(directory).setGridColumns(8).build();
  }

  /** Images per row of the PNG grid (default 8). */
  public WriteSamples withGridColumns(int columns) {
    if (columns <= 0) {
      throw new IllegalArgumentException(
          "WriteSamples.withGridColumns: must be positive, got " + columns);
    }
    return toBuilder().setGridColumns(columns).build();
  }

  @Override
  public PCollection<String> expand(PCollection<GeneratedSample> samples) {
    return samples
        .apply(
            "OneGroup",
            WithKeys.<Void, GeneratedSample>of((Void) null).withKeyType(TypeDescriptors.voids()))
        .setCoder(KvCoder.of(VoidCoder.of(), GeneratedSampleCoder.of()))
        .apply("Gather", GroupByKey.create())
        .apply("Write", ParDo.of(new WriteFn(directory(), gridColumns())))
        .setCoder(StringUtf8Coder.of());
  }

  @Override
  public void populateDisplayData(DisplayData.Builder builder) {
    super.populateDisplayData(builder);
    builder.add(DisplayData.item("directory", directory()).withLabel("Output directory"));
  }

  static final class WriteFn extends DoFn<KV<Void, Iterable<GeneratedSample>>, String> {
    private final String directory;
    private final int columns;

    WriteFn(String directory, int columns) {
      this.directory = directory;
      this.columns = columns;
    }

    @ProcessElement
    public void process(
        @Element KV<Void, Iterable<GeneratedSample>> all, OutputReceiver<String> out)
        throws IOException {
      List<GeneratedSample> samples = new ArrayList<>();
      for (GeneratedSample s : all.getValue()) samples.add(s);
      samples.sort(Comparator.comparingLong(GeneratedSample::id));
      SampleImages images = SampleImages.of(samples);
      // Both or neither: a failure writing the grid (a full disk) must not leave samples.npz
      // looking finished.
      Map<String, AtomicFile.Writer> files = new java.util.LinkedHashMap<>();
      files.put(
          ArtifactFile.join(directory, NPZ),
          o ->
              NpzWriter.write(
                  o, Map.of("arr_0", TensorData.ofBytes(images.nhwcShape(), images.nhwc()))));
      files.put(ArtifactFile.join(directory, PNG), o -> images.writePngGrid(o, columns));
      ArtifactFile.writeAll(files);
      out.output(ArtifactFile.join(directory, NPZ));
      out.output(ArtifactFile.join(directory, PNG));
    }
  }
}
