package org.l2cbeam.beam;

import static org.l2cbeam.beam.ArgumentChecks.checkArgument;
import static org.l2cbeam.beam.ArgumentChecks.checkNotNull;

import com.google.auto.value.AutoValue;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.metrics.Metrics;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.display.DisplayData;
import org.apache.beam.sdk.values.PBegin;
import org.apache.beam.sdk.values.PCollection;
import org.checkerframework.checker.nullness.qual.Nullable;
import org.l2cbeam.core.model.Kernels;
import org.l2cbeam.core.model.ModelExecution;
import org.l2cbeam.core.model.Precision;
import org.l2cbeam.core.router.ModelFamily;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Validates a DiT or U-ViT checkpoint and yields its {@link ModelRef}: one small element, typically
 * turned into a side input ({@code View.asSingleton()}) for {@link TrainRouter} and {@link
 * CachedSample}. The weights themselves never travel through the pipeline: each worker loads them
 * once per JVM, from the same location, on first use ({@link SharedModels}).
 *
 * <pre>{@code
 * PCollectionView<ModelRef> dit =
 *     p.apply(LoadModel.from("gs://my-bucket/DiT-XL-2-256x256.pt")).apply(View.asSingleton());
 * PCollectionView<ModelRef> uvit =
 *     p.apply("U-ViT", LoadModel.from("gs://my-bucket/imagenet256_uvit_huge.pth")).apply(View.asSingleton());
 * }</pre>
 *
 * <p>The family is detected from the checkpoint's keys; {@link #withFamily} insists on one.
 * Locations: a local path, {@code builtin:fmnist-dit} (the bundled Fashion-MNIST DiT), or any URI
 * Beam's {@code FileSystems} reads ({@code gs://} with Beam's GCP core on the classpath). When the
 * pipeline is built ({@code expand}), the location must exist, and a local checkpoint must be a
 * model of the right family (skip both with {@link #withoutValidation()}, e.g. when the launcher
 * cannot read the bucket); when the pipeline runs, the checkpoint's keys and shapes are checked
 * strictly against the config inferred from them.
 */
@AutoValue
public abstract class LoadModel extends PTransform<PBegin, PCollection<ModelRef>> {
  private static final long serialVersionUID = 1L;

  abstract String location();

  abstract int numHeads();

  abstract @Nullable ModelFamily family();

  abstract boolean validate();

  abstract @Nullable Kernels kernels();

  abstract @Nullable Precision precision();

  abstract Builder toBuilder();

  @AutoValue.Builder
  abstract static class Builder {
    abstract Builder setLocation(String location);

    abstract Builder setNumHeads(int numHeads);

    abstract Builder setFamily(@Nullable ModelFamily family);

    abstract Builder setValidate(boolean validate);

    abstract Builder setKernels(@Nullable Kernels kernels);

    abstract Builder setPrecision(@Nullable Precision precision);

    abstract LoadModel build();
  }

  /** The checkpoint at {@code location}. */
  public static LoadModel from(String location) {
    checkArgument(
        location != null && !location.isBlank(), "LoadModel.from: the model location is empty");
    return new AutoValue_LoadModel.Builder()
        .setLocation(location)
        .setNumHeads(0)
        .setValidate(true)
        .build();
  }

  /**
   * The attention head count, which tensor shapes do not determine. By default it comes from a
   * {@code config.json} beside the checkpoint ({@code {"num_heads": 16}}), else from the released
   * models' table for the hidden size.
   */
  public LoadModel withNumHeads(int numHeads) {
    checkArgument(numHeads > 0, "LoadModel.withNumHeads: must be positive, got %s", numHeads);
    return toBuilder().setNumHeads(numHeads).build();
  }

  /**
   * The family the checkpoint must be ({@link ModelFamily#DIT} or {@link ModelFamily#UVIT}); a
   * checkpoint of the other family fails naming both. Default: whichever the keys say.
   */
  public LoadModel withFamily(ModelFamily family) {
    return toBuilder()
        .setFamily(checkNotNull(family, "LoadModel.withFamily: the family must not be null"))
        .build();
  }

  /**
   * The kernels workers run the model on: {@link Kernels#ONEDNN} (packed oneDNN GEMMs and fused
   * attention; the default) or {@link Kernels#PLAIN} (DJL NDArray ops, the reference). Unset, each
   * worker JVM's default applies.
   */
  public LoadModel withKernels(Kernels kernels) {
    return toBuilder()
        .setKernels(checkNotNull(kernels, "LoadModel.withKernels: kernels must not be null"))
        .build();
  }

  /**
   * The arithmetic of the model's transformer branches: {@link Precision#FP32} (the default) or the
   * opt-in {@link Precision#BF16}, about twice as fast on CPUs with AVX-512 BF16 at a relative
   * error of a few 1e-3 per forward (its FID cost is measured in the README). bf16 needs the oneDNN
   * kernels.
   */
  public LoadModel withPrecision(Precision precision) {
    return toBuilder()
        .setPrecision(
            checkNotNull(precision, "LoadModel.withPrecision: precision must not be null"))
        .build();
  }

  /** The execution this transform asks for, or null for the workers' default. */
  @Nullable ModelExecution execution() {
    return execution(kernels(), precision(), "LoadModel");
  }

  /**
   * {@code kernels} and {@code precision} over the JVM default (either may be null; both null:
   * null). bf16 with plain kernels fails, naming {@code transform}.
   */
  @Nullable
  static ModelExecution execution(
      @Nullable Kernels kernels, @Nullable Precision precision, String transform) {
    if (kernels == null && precision == null) return null;
    ModelExecution e = ModelExecution.defaults();
    if (kernels != null)
      e = ModelExecution.of(kernels, precision == null ? Precision.FP32 : precision);
    if (precision != null) {
      if (precision == Precision.BF16 && e.kernels() != Kernels.ONEDNN) {
        throw new IllegalArgumentException(
            transform
                + ".withPrecision(BF16) needs the onednn kernels, not "
                + e.kernels().cliName());
      }
      e = ModelExecution.of(e.kernels(), precision);
    }
    return e;
  }

  /**
   * Skips the build-time checks (that the location exists and, if local, holds a model of the right
   * family); the run-time checkpoint validation always happens.
   */
  public LoadModel withoutValidation() {
    return toBuilder().setValidate(false).build();
  }

  @Override
  public PCollection<ModelRef> expand(PBegin input) {
    if (validate()) {
      ModelFiles.checkExists("LoadModel.from (model)", location());
      ModelFamily found =
          FamilyModels.detectLocal("LoadModel.from(" + location() + ")", location());
      checkArgument(
          found == null || family() == null || found == family(),
          "LoadModel.withFamily(%s): %s holds a %s model",
          family() == null ? "" : family().id(),
          location(),
          found == null ? "" : found.id());
    }
    ModelExecution execution = execution();
    return input
        .apply("Location", Create.of(location()))
        .apply(
            "ValidateCheckpoint",
            ParDo.of(
                new ValidateCheckpointFn(
                    numHeads(),
                    family() == null ? "" : family().id(),
                    execution == null ? "" : execution.toString())))
        .setCoder(ModelRefCoder.of());
  }

  @Override
  public void populateDisplayData(DisplayData.Builder builder) {
    super.populateDisplayData(builder);
    builder
        .add(DisplayData.item("location", location()).withLabel("Model checkpoint"))
        .addIfNotDefault(DisplayData.item("numHeads", numHeads()).withLabel("Attention heads"), 0)
        .addIfNotNull(
            DisplayData.item("family", family() == null ? null : family().id())
                .withLabel("Model family"))
        .add(
            DisplayData.item("validate", validate())
                .withLabel("Check the location at construction"))
        .addIfNotNull(
            DisplayData.item("kernels", kernels() == null ? null : kernels().toString())
                .withLabel("Kernels"))
        .addIfNotNull(
            DisplayData.item("precision", precision() == null ? null : precision().toString())
                .withLabel("Precision"));
  }

  /**
   * Reads the checkpoint's keys and shapes on a worker; fails the pipeline with the file and key
   * named.
   */
  static final class ValidateCheckpointFn extends DoFn<String, ModelRef> {
    private final Counter validated = Metrics.counter(LoadModel.class, "checkpointsValidated");
    private final int numHeads;

    /** The family the checkpoint must be, or empty for either. */
    private final String family;

    private final String execution;

    ValidateCheckpointFn(int numHeads, String family, String execution) {
      this.numHeads = numHeads;
      this.family = family;
      this.execution = execution;
    }

    private static final Logger LOG = LoggerFactory.getLogger(LoadModel.class);

    @ProcessElement
    public void process(@Element String location, OutputReceiver<ModelRef> out) {
      LOG.info("LoadModel: validating {}", location);
      long start = System.nanoTime();
      ModelRef ref =
          FamilyModels.describe(
              location, numHeads, family.isEmpty() ? null : ModelFamily.parse(family));
      LOG.info(
          "LoadModel: {} is a valid {} checkpoint ({} cache units, fingerprint {}) in {} s",
          location,
          ref.architecture(),
          ref.cacheUnits(),
          ref.fingerprint(),
          Logs.seconds(start));
      out.output(execution.isEmpty() ? ref : ref.withExecution(ModelExecution.parse(execution)));
      validated.inc();
    }
  }
}
