package org.l2cbeam.pipelines;

import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.transforms.View;
import org.apache.beam.sdk.values.PCollectionView;
import org.l2cbeam.beam.LoadModel;
import org.l2cbeam.beam.ModelRef;

/** The pipelines' {@code --model} option: {@link LoadModel} as a singleton side input, errors naming the option. */
public final class ModelOption {
  private ModelOption() {}

  public static PCollectionView<ModelRef> load(Pipeline p, String model) {
    try {
      return p.apply("LoadModel", LoadModel.from(model)).apply("ModelView", View.asSingleton());
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("--model: " + e.getMessage(), e);
    }
  }
}
