package org.l2cbeam.core.router.train;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import java.util.Arrays;
import org.l2cbeam.core.router.ModelFamily;

/**
 * One model family's L2C router objective for one batch and the router {@code p_k} of one cache
 * step: what {@link RouterTrainer} minimises. The family decides the pairing (which router rows are
 * trained, see {@link TrainingSettings#cacheStepRows()}), the distance, the pre-step that records
 * the cache, and whether logits are clamped after each update.
 */
public interface RouterObjective {
  /**
   * What one evaluation gives: the batch-mean loss, its two terms, the per-sample data term and
   * dLoss/dp_k.
   */
  final class Evaluation {
    public final float loss;
    public final float dataLoss;
    public final float l1;

    /** Per sample: DiT's mean squared error, U-ViT's sum of squared error. */
    public final float[] perSampleDataLoss;

    public final float[] gradient;

    public Evaluation(
        float loss, float dataLoss, float l1, float[] perSampleDataLoss, float[] gradient) {
      this.loss = loss;
      this.dataLoss = dataLoss;
      this.l1 = l1;
      this.perSampleDataLoss = perSampleDataLoss;
      this.gradient = gradient;
    }

    /** True unless the loss or any gradient entry is NaN or infinite. */
    public boolean isFinite() {
      if (!Float.isFinite(loss)) return false;
      for (float g : gradient) if (!Float.isFinite(g)) return false;
      return true;
    }

    @Override
    public String toString() {
      return "loss="
          + loss
          + " data="
          + dataLoss
          + " l1="
          + l1
          + " grad="
          + Arrays.toString(gradient);
    }
  }

  ModelFamily family();

  /** Where the model's weights live: the trainer creates every batch's tensors there. */
  Device device();

  /** Cache units of the model (router width). */
  int units();

  /** Router rows: the sampler's model evaluations (DiT: N DDIM steps; U-ViT: NFE). */
  int samplingSteps();

  /** The original clamps DiT logits to [-5, 5] after every step; U-ViT's training has no clamp. */
  boolean clampsLogits();

  /**
   * The loss and its gradient with respect to {@code routerLogits} = {@code p_k}, k = the batch's
   * cache step.
   */
  Evaluation evaluate(NDManager parent, TrainingBatch batch, float[] routerLogits);
}
