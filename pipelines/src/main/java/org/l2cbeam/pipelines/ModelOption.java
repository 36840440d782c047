package org.l2cbeam.pipelines;

import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.transforms.View;
import org.apache.beam.sdk.values.PCollectionView;
import org.l2cbeam.beam.LoadModel;
import org.l2cbeam.core.model.Kernels;
import org.l2cbeam.core.model.Precision;
import org.l2cbeam.beam.ModelRef;

/**
 * The pipelines' {@code --model}, {@code --kernels} and {@code --precision} options: {@link LoadModel} as a singleton
 * side input, errors naming the option.
 */
public final class ModelOption {
  private ModelOption() {}

  public static PCollectionView<ModelRef> load(Pipeline p, String model, ModelKernelOptions kernels) {
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
