package org.l2cbeam.pipelines;

import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.transforms.View;
import org.apache.beam.sdk.values.PCollectionView;
import org.checkerframework.checker.nullness.qual.Nullable;
import org.l2cbeam.beam.LoadModel;
import org.l2cbeam.beam.ModelRef;
import org.l2cbeam.core.assets.BuiltinAssets;
import org.l2cbeam.core.model.Kernels;
import org.l2cbeam.core.model.ModelCheckpoint;
import org.l2cbeam.core.model.Precision;

/**
 * The pipelines' {@code --model}, {@code --kernels} and {@code --precision} options: {@link
 * LoadModel} as a singleton side input, errors naming the option. A DiT or a U-ViT; the family
 * comes from the checkpoint's keys.
 */
public final class ModelOption {
  private ModelOption() {}

  /**
   * What the checkpoint {@code --model} holds (family, classes, shapes), read here when it is local
   * or builtin, so the pipelines can check family-specific options before any worker starts; null
   * for a remote location, which only the workers read (they check the same things then).
   */
  public static ModelCheckpoint.@Nullable Summary localSummary(String model) {
    if (model == null || model.isBlank()) {
      throw new IllegalArgumentException("--model: no model given");
    }
    if (!BuiltinAssets.isBuiltin(model) && model.matches("^[a-zA-Z][a-zA-Z0-9+.-]*://.*")) {
      return null;
    }
    try {
      return ModelCheckpoint.open(model).validate(0);
    } catch (RuntimeException e) {
      throw new IllegalArgumentException("--model: " + e.getMessage(), e);
    }
  }

  public static PCollectionView<ModelRef> load(
      Pipeline p, String model, ModelKernelOptions kernels) {
    LoadModel load;
    try {
      load = LoadModel.from(model);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("--model: " + e.getMessage(), e);
    }
    Precision precision = Precision.parse(kernels.getPrecision(), "--precision");
    Kernels k = Kernels.parse(kernels.getKernels(), "--kernels");
    if (precision == Precision.BF16 && k != Kernels.ONEDNN) {
      throw new IllegalArgumentException("--precision bf16 needs --kernels onednn");
    }
    load = load.withKernels(k).withPrecision(precision);
    try {
      return p.apply("LoadModel", load).apply("ModelView", View.asSingleton());
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("--model: " + e.getMessage(), e);
    }
  }
}
