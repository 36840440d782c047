package org.l2cbeam.beam;

import com.google.auto.value.AutoValue;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.metrics.Metrics;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.Reshuffle;
import org.apache.beam.sdk.transforms.display.DisplayData;
import org.apache.beam.sdk.values.PBegin;
import org.apache.beam.sdk.values.PCollection;
import org.l2cbeam.core.assets.BuiltinAssets;
import org.l2cbeam.core.data.FashionMnist;
import org.l2cbeam.core.image.ImageBatch;
import org.l2cbeam.core.image.ImageSource;
import org.l2cbeam.core.image.ImageSources;

/**
 * Reads an image set as {@code PCollection<ImageBatch>} chunks, e.g. for {@link
 * ComputeFID#onImages()}: a sample {@code .npz} ({@code arr_0}, uint8 NHWC: ours, DiT's or ADM's),
 * a folder of image files, an IDX file, a Fashion-MNIST directory or {@code builtin:fashion-mnist}
 * (one split of it).
 *
 * <pre>{@code
 * PCollection<ImageBatch> images = p.apply(ReadImages.from("gs://b/samples.npz"));
 * }</pre>
 *
 * <p>One worker streams the file (reading is cheap next to featurising) and the chunks are
 * reshuffled so the featurising after it spreads over workers. Remote locations (Beam {@code
 * FileSystems}) must be {@code .npz} files. The location is checked when the pipeline is built
 * ({@code expand}), as Beam's file-based transforms do; {@link #withoutValidation()} leaves it to
 * the worker that reads it.
 */
@AutoValue
public abstract class ReadImages extends PTransform<PBegin, PCollection<ImageBatch>> {
  private static final long serialVersionUID = 1L;
  static final int DEFAULT_CHUNK_SIZE = 64;

  abstract String location();

  abstract int channels();

  abstract String split();

  abstract int chunkSize();

  abstract boolean validate();

  abstract Builder toBuilder();

  @AutoValue.Builder
  abstract static class Builder {
    abstract Builder setLocation(String location);

    abstract Builder setChannels(int channels);

    abstract Builder setSplit(String split);

    abstract Builder setChunkSize(int chunkSize);

    abstract Builder setValidate(boolean validate);

    abstract ReadImages build();
  }

  /**
   * The images at {@code location}; read, and checked, when the pipeline is built (see {@link
   * #withoutValidation()}).
   */
  public static ReadImages from(String location) {
    if (location == null || location.isBlank()) {
      throw new IllegalArgumentException("ReadImages.from: no image location given");
    }
    return new AutoValue_ReadImages.Builder()
        .setLocation(location)
        .setChannels(1)
        .setSplit(FashionMnist.Split.TEST.prefix())
        .setChunkSize(DEFAULT_CHUNK_SIZE)
        .setValidate(true)
        .build();
  }

  /**
   * Channels folder images are converted to: 1 (grey, default) or 3 (RGB); other sources keep their
   * own.
   */
  public ReadImages withChannels(int channels) {
    if (channels != 1 && channels != 3) {
      throw new IllegalArgumentException(
          "ReadImages.withChannels: must be 1 or 3, got " + channels);
    }
    return toBuilder().setChannels(channels).build();
  }

  /**
   * The split of a Fashion-MNIST directory or {@code builtin:fashion-mnist}: {@code t10k} (default)
   * or {@code train}.
   */
  public ReadImages withSplit(String split) {
    FashionMnist.Split s;
    try {
      s = FashionMnist.Split.parse(split == null ? "" : split);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("ReadImages.withSplit: " + e.getMessage(), e);
    }
    return toBuilder().setSplit(s.prefix()).build();
  }

  /** Images per output element (default 64). */
  public ReadImages withChunkSize(int chunkSize) {
    if (chunkSize <= 0) {
      throw new IllegalArgumentException(
          "ReadImages.withChunkSize: must be positive, got " + chunkSize);
    }
    return toBuilder().setChunkSize(chunkSize).build();
  }

  /**
   * Leaves the location to the worker that reads it: nothing is checked when the pipeline is built,
   * and a missing file fails the run, naming it (as Beam's {@code
   * TextIO.Read.withoutValidation()}).
   */
  public ReadImages withoutValidation() {
    return toBuilder().setValidate(false).build();
  }

  @Override
  public PCollection<ImageBatch> expand(PBegin input) {
    if (validate()) checkReadable(location());
    return input
        .apply("Location", Create.of(location()))
        .apply("Read", ParDo.of(new ReadFn(channels(), split(), chunkSize())))
        .setCoder(ImageBatchCoder.of())
        .apply("Spread", Reshuffle.viaRandomKey());
  }

  @Override
  public void populateDisplayData(DisplayData.Builder builder) {
    super.populateDisplayData(builder);
    builder
        .add(DisplayData.item("location", location()).withLabel("Images"))
        .add(DisplayData.item("channels", channels()).withLabel("Folder image channels"))
        .add(DisplayData.item("split", split()).withLabel("Fashion-MNIST split"))
        .add(DisplayData.item("chunkSize", chunkSize()).withLabel("Images per element"))
        .addIfNotDefault(
            DisplayData.item("validate", validate())
                .withLabel("Check the location when the pipeline is built"),
            true);
  }

  private static void checkReadable(String location) {
    String option = "ReadImages.from";
    if (location == null || location.isBlank()) {
      throw new IllegalArgumentException(option + ": no image location given");
    }
    if (BuiltinAssets.isBuiltin(location)) {
      ModelFiles.checkExists(option, location);
      return;
    }
    if (ModelFiles.isRemote(location)) {
      if (!location.toLowerCase(Locale.ROOT).endsWith(".npz")) {
        throw new IllegalArgumentException(
            option
                + ": "
                + location
                + ": remote image sets must be one .npz file (arr_0, uint8 NHWC)");
      }
      ModelFiles.checkExists(option, location);
      return;
    }
    Path p = Path.of(location);
    if (!Files.exists(p)) {
      throw new IllegalArgumentException(option + ": no such image folder or file: " + location);
    }
  }

  /** Streams one image set into chunks. */
  static final class ReadFn extends DoFn<String, ImageBatch> {
    private final Counter imagesRead = Metrics.counter(ReadImages.class, "imagesRead");
    private final int channels;
    private final String split;
    private final int chunkSize;

    ReadFn(int channels, String split, int chunkSize) {
      this.channels = channels;
      this.split = split;
      this.chunkSize = chunkSize;
    }

    @ProcessElement
    public void process(@Element String location, OutputReceiver<ImageBatch> out) {
      checkReadable(
          location); // again here: without validation, this is the first look at the location
      String readable =
          ModelFiles.isRemote(location) ? ModelFiles.localCopy(location).toString() : location;
      try (ImageSource source =
          ImageSources.open(readable, channels, FashionMnist.Split.parse(split))) {
        for (ImageBatch b = source.next(chunkSize); b != null; b = source.next(chunkSize)) {
          out.output(b);
          imagesRead.inc(b.count());
        }
      }
    }
  }
}
