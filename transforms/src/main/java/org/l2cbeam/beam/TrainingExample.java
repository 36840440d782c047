package org.l2cbeam.beam;

import com.google.auto.value.AutoValue;
import java.io.Serializable;

/**
 * One class-labelled router-training input, already in the model's input space: [-1, 1] pixels for
 * a pixel-space DiT (e.g. Fashion-MNIST padded 28 to 32 with -1), or a VAE latent for a latent DiT.
 * Float32, CHW.
 */
@AutoValue
public abstract class TrainingExample implements Serializable {
  private static final long serialVersionUID = 1L;

  public abstract int label();

  public abstract int channels();

  public abstract int height();

  public abstract int width();

  @SuppressWarnings("mutable")
  public abstract float[] values();

  public static TrainingExample of(int label, int channels, int height, int width, float[] chw) {
    if (label < 0) {
      throw new IllegalArgumentException("training example label must be >= 0, got " + label);
    }
    if (channels <= 0 || height <= 0 || width <= 0 || chw.length != channels * height * width) {
      throw new IllegalArgumentException(
          "training example has "
              + chw.length
              + " values, shape "
              + channels
              + "x"
              + height
              + "x"
              + width
              + " needs "
              + ((long) channels * height * width));
    }
    return new AutoValue_TrainingExample(label, channels, height, width, chw);
  }
}
