package org.l2cbeam.beam;

import com.google.auto.value.AutoValue;
import java.nio.file.Files;
import java.nio.file.Path;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.metrics.Metrics;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.display.DisplayData;
import org.apache.beam.sdk.values.PBegin;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionView;
import org.checkerframework.checker.nullness.qual.Nullable;
import org.l2cbeam.core.assets.BuiltinAssets;
import org.l2cbeam.core.router.train.TrainingData;
import org.l2cbeam.core.router.train.TrainingExamples;

/**
 * Reads router-training data as {@link TrainingExample}s in the model's input space, for {@link
 * TrainRouter}: a directory of (Fashion-)MNIST IDX files (the train split; {@code u8/127.5 − 1},
 * padded 28→32 with −1 for a 32×32 model such as the bundled Fashion-MNIST DiT), {@code
 * builtin:fashion-mnist}, or a {@code .safetensors} file with {@code x [N, C, H, W]} (e.g. VAE
 * latents × 0.18215) and {@code y [N]}. The conversion is core's {@code TrainingData}, the same as
 * {@code l2c router train}; it needs the model's input shape, hence the model side input.
 *
 * <pre>{@code
 * PCollection<TrainingExample> examples =
 *     p.apply(ReadTrainingExamples.from("/usr/share/datasets/fashion-mnist").forModel(model));
 * }</pre>
 */
@AutoValue
public abstract class ReadTrainingExamples
    extends PTransform<PBegin, PCollection<TrainingExample>> {
  private static final long serialVersionUID = 1L;

  abstract String location();

  abstract @Nullable PCollectionView<ModelRef> model();

  /** 0: every example. */
  abstract int limit();

  abstract Builder toBuilder();

  @AutoValue.Builder
  abstract static class Builder {
    abstract Builder setLocation(String location);

    abstract Builder setModel(@Nullable PCollectionView<ModelRef> model);

    abstract Builder setLimit(int limit);

    abstract ReadTrainingExamples build();
  }

  /**
   * Data at {@code location}: a local IDX directory, {@code builtin:fashion-mnist}, or a latents
   * .safetensors file.
   */
  public static ReadTrainingExamples from(String location) {
    if (location == null || location.isBlank()) {
      throw new IllegalArgumentException(
          "ReadTrainingExamples.from (data): the data location is empty");
    }
    if (ModelFiles.isRemote(location)) {
      throw new IllegalArgumentException(
          "ReadTrainingExamples.from (data): "
              + location
              + " must be local or builtin (IDX and safetensors files are"
              + " memory-mapped)");
    }
    return new AutoValue_ReadTrainingExamples.Builder().setLocation(location).setLimit(0).build();
  }

  /**
   * The model whose input shape and classes the examples must fit (from {@link LoadModel});
   * required.
   */
  public ReadTrainingExamples forModel(PCollectionView<ModelRef> model) {
    if (model == null) {
      throw new IllegalArgumentException(
          "ReadTrainingExamples.forModel: the model side input is null (use LoadModel)");
    }
    return toBuilder().setModel(model).build();
  }

  /**
   * Reads only the first {@code examples} examples of the data (in file order), e.g. a small
   * training set for a quick run in a notebook. Default: all.
   */
  public ReadTrainingExamples withLimit(int examples) {
    if (examples < 1) {
      throw new IllegalArgumentException(
          "ReadTrainingExamples.withLimit: must be >= 1 example, got " + examples);
    }
    return toBuilder().setLimit(examples).build();
  }

  @Override
  public PCollection<TrainingExample> expand(PBegin input) {
    if (model() == null) {
      throw new IllegalArgumentException("ReadTrainingExamples.forModel: no model given");
    }
    Path local = localPath(location());
    if (!Files.exists(local)) {
      throw new IllegalArgumentException(
          "ReadTrainingExamples.from (data): no such file or directory: " + local);
    }
    return input
        .apply("DataLocation", Create.of(location()))
        .apply("ReadExamples", ParDo.of(new ReadFn(model(), limit())).withSideInputs(model()))
        .setCoder(TrainingExampleCoder.of());
  }

  @Override
  public void populateDisplayData(DisplayData.Builder builder) {
    super.populateDisplayData(builder);
    builder
        .add(DisplayData.item("location", location()).withLabel("Training data"))
        .addIfNotDefault(DisplayData.item("limit", limit()).withLabel("First examples read"), 0);
  }

  static Path localPath(String location) {
    if (BuiltinAssets.isBuiltin(location)) {
      try {
        return BuiltinAssets.resolve(location);
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException(
            "ReadTrainingExamples.from (data): " + e.getMessage(), e);
      }
    }
    return location.startsWith("file://")
        ? Path.of(java.net.URI.create(location))
        : Path.of(location);
  }

  static final class ReadFn extends DoFn<String, TrainingExample> {
    private final Counter read = Metrics.counter(ReadTrainingExamples.class, "examples");
    private final PCollectionView<ModelRef> modelView;
    private final int limit;

    ReadFn(PCollectionView<ModelRef> modelView, int limit) {
      this.modelView = modelView;
      this.limit = limit;
    }

    @ProcessElement
    public void process(ProcessContext c) {
      ModelRef m = c.sideInput(modelView);
      TrainingExamples data;
      try {
        data =
            TrainingData.open(
                localPath(c.element()), m.inChannels(), m.inputSize(), m.numClasses());
      } catch (RuntimeException e) {
        throw new IllegalArgumentException(
            "ReadTrainingExamples.from (data): " + e.getMessage(), e);
      }
      int[] s = data.exampleShape();
      int n = s[0] * s[1] * s[2];
      int count = limit > 0 ? Math.min(limit, data.size()) : data.size();
      for (int i = 0; i < count; i++) {
        float[] v = new float[n];
        data.copyExample(i, v, 0);
        c.output(TrainingExample.of(data.label(i), s[0], s[1], s[2], v));
      }
      read.inc(count);
    }
  }
}
