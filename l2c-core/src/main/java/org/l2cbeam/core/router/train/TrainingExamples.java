package org.l2cbeam.core.router.train;

/**
 * Class-labelled training inputs for router training, already in the model's input space (latents
 * for a latent DiT, [-1, 1] pixels for a pixel-space one). Implementations read lazily, so the set
 * may be larger than memory.
 */
public interface TrainingExamples {
  /** Number of examples. */
  int size();

  /** The shape of one example, {@code [C, H, W]}. */
  int[] exampleShape();

  /**
   * Copies example {@code index} ({@code C*H*W} floats, row-major) into {@code dst} at {@code
   * offset}.
   */
  void copyExample(int index, float[] dst, int offset);

  /** The class label of example {@code index}. */
  int label(int index);

  /** A content hash (SHA-256 hex) identifying the data, recorded in checkpoints and artifacts. */
  String fingerprint();

  /** Where the examples come from, for messages (a file or directory). */
  String source();

  /**
   * Fails with a message naming the data source unless the set is non-empty, every example has the
   * model's input shape and every label is a class of the model ({@code 0 <= y < numClasses}).
   */
  default void checkFitsModel(int channels, int height, int width, int numClasses) {
    if (size() == 0) {
      throw new IllegalArgumentException(
          "training data " + source() + " is empty: no examples to train on");
    }
    int[] s = exampleShape();
    if (s[0] != channels || s[1] != height || s[2] != width) {
      throw new IllegalArgumentException(
          "training data "
              + source()
              + " has examples of shape "
              + s[0]
              + "x"
              + s[1]
              + "x"
              + s[2]
              + " but the model takes "
              + channels
              + "x"
              + height
              + "x"
              + width
              + " inputs");
    }
    for (int i = 0; i < size(); i++) {
      int y = label(i);
      if (y < 0 || y >= numClasses) {
        throw new IllegalArgumentException(
            "training data "
                + source()
                + ": example "
                + i
                + " has label "
                + y
                + ", outside the model's "
                + numClasses
                + " classes 0.."
                + (numClasses - 1));
      }
    }
  }
}
