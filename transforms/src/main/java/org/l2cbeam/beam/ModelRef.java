package org.l2cbeam.beam;

import com.google.auto.value.AutoValue;
import java.io.Serializable;
import org.l2cbeam.core.model.ModelExecution;
import org.l2cbeam.core.router.ModelFamily;

/**
 * A validated model checkpoint, small enough to be a side input: where it lives, the fingerprint of
 * its weights (sha256, the key of the per-JVM {@link SharedModels} cache and of router artifacts)
 * and its inferred configuration. Workers load the weights from {@link #uri()} once per JVM, on
 * first use.
 */
@AutoValue
public abstract class ModelRef implements Serializable {
  private static final long serialVersionUID = 1L;

  /** The location the user gave: a local path, {@code gs://...}, or {@code builtin:fmnist-dit}. */
  public abstract String uri();

  /** sha256 of the weights, hex. */
  public abstract String fingerprint();

  /** The model family's id: {@code dit} or {@code uvit} ({@link #family()}). */
  public abstract String architecture();

  /** DiT or U-ViT: decides the sampler, the step pairing and the guidance layout. */
  public ModelFamily family() {
    return ModelFamily.parse(architecture());
  }

  /** Spatial size of the model input (pixels, or latent cells for a latent model). */
  public abstract int inputSize();

  public abstract int inChannels();

  /**
   * Number of real classes; labels are {@code 0..numClasses-1} (the null label for CFG is extra).
   */
  public abstract int numClasses();

  /**
   * Number of L2C cache units: two per block (attention, MLP); a U-ViT counts its mid-block too.
   */
  public abstract int cacheUnits();

  /**
   * Attention heads (shapes do not determine them; from config.json or the released models' table).
   */
  public abstract int numHeads();

  /** The inferred configuration as JSON, for display and provenance. */
  public abstract String configJson();

  /**
   * The kernels and precision workers load the model with, as {@code ModelExecution.toString()}
   * gives them ({@code onednn/fp32}), or empty for each worker JVM's default ({@code
   * ModelExecution.defaults()}).
   */
  public abstract String execution();

  /** This model run with {@code execution} (see {@link LoadModel#withPrecision}). */
  public ModelRef withExecution(ModelExecution execution) {
    return new AutoValue_ModelRef(
        uri(),
        fingerprint(),
        architecture(),
        inputSize(),
        inChannels(),
        numClasses(),
        cacheUnits(),
        numHeads(),
        configJson(),
        execution.toString());
  }

  /**
   * What a worker loads the model with: {@link #execution()}, or the JVM's default if that is
   * empty.
   */
  public ModelExecution resolvedExecution() {
    return execution().isEmpty() ? ModelExecution.defaults() : ModelExecution.parse(execution());
  }

  public static ModelRef of(
      String uri,
      String fingerprint,
      String architecture,
      int inputSize,
      int inChannels,
      int numClasses,
      int cacheUnits,
      int numHeads,
      String configJson) {
    return new AutoValue_ModelRef(
        uri,
        fingerprint,
        architecture,
        inputSize,
        inChannels,
        numClasses,
        cacheUnits,
        numHeads,
        configJson,
        "");
  }

  /**
   * Fails, naming the request and the model, unless {@code label} is one of the model's classes.
   */
  public void checkLabel(long requestId, int label) {
    if (label < 0 || label >= numClasses()) {
      throw new IllegalArgumentException(
          "sample request "
              + requestId
              + " has label "
              + label
              + ", but model "
              + uri()
              + " has "
              + numClasses()
              + " classes (0.."
              + (numClasses() - 1)
              + ")");
    }
  }
}
