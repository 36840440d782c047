package org.l2cbeam.pipelines.cli;

import java.nio.file.Path;
import java.util.Arrays;
import org.l2cbeam.core.diffusion.Guidance;
import org.l2cbeam.core.diffusion.SeededNoise;
import org.l2cbeam.core.io.CheckpointFormatException;
import org.l2cbeam.core.io.OutputFile;
import org.l2cbeam.core.io.TensorData;
import org.l2cbeam.core.io.WeightMap;

/**
 * What the commands read from their arguments and input files, checked before anything reaches
 * libtorch (for DiT and U-ViT alike): required tensors with their rank and dtype, labels, seeds, θ,
 * cache masks, room for the output.
 */
final class CommandInputs {
  private CommandInputs() {}

  /**
   * A required input tensor of {@code file} with the given rank and kind, checked before it reaches
   * libtorch: float inputs must be F32 (F16 and BF16 are widened; F64 would meet float32 weights
   * and fail inside the model), integer inputs any integer dtype. The error names the file and
   * tensor.
   */
  static TensorData require(
      WeightMap file, String name, int rank, boolean floating, String meaning) {
    if (!file.contains(name)) {
      throw new CheckpointFormatException(
          file.source(),
          "no tensor '" + name + "' (" + meaning + "); the file has " + file.names());
    }
    TensorData t = file.get(name);
    boolean ok =
        t.shape().length == rank && (floating ? t.dtype().isFloating() : !t.dtype().isFloating());
    if (!ok) {
      throw new CheckpointFormatException(
          file.source(),
          "tensor '"
              + name
              + "' must be "
              + (floating ? "a float" : "an integer")
              + " array of rank "
              + rank
              + " ("
              + meaning
              + "), got "
              + t.dtype()
              + " "
              + Arrays.toString(t.shape()));
    }
    if (floating && !t.dtype().widensToFloat32()) {
      throw new CheckpointFormatException(
          file.source(),
          "tensor '"
              + name
              + "' is "
              + t.dtype()
              + ", but the models compute in float32: save it as F32 (F16 and"
              + " BF16 are widened on load)");
    }
    return t;
  }

  /** {@code --cache-mask}: one '0'/'1' per cache unit, '1' = computed on the cache step. */
  static boolean[] parseMask(String bits, int units) {
    String b = bits.trim();
    if (b.length() != units || !b.matches("[01]+")) {
      throw new IllegalArgumentException(
          "--cache-mask must be "
              + units
              + " characters of 0/1 (one per cache unit: 2b = attention of block b, 2b+1"
              + " its MLP), got '"
              + bits
              + "' ("
              + b.length()
              + " characters)");
    }
    boolean[] m = new boolean[units];
    for (int u = 0; u < units; u++) m[u] = b.charAt(u) == '1';
    return m;
  }

  /** {@code --theta}: a threshold on sigmoid(p), in [0, 1]. */
  static void checkTheta(Double theta) {
    if (theta != null && !(theta >= 0 && theta <= 1)) {
      throw new IllegalArgumentException("--theta must be in [0, 1], got " + theta);
    }
  }

  /** {@code --seed K} for {@code n} samples: seeds K..K+n-1 must not wrap around past 2^63 - 1. */
  static void checkSeed(long seed, int n) {
    try {
      SeededNoise.checkConsecutive(seed, n);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("--seed: " + e.getMessage(), e);
    }
  }

  /**
   * Before sampling: {@code --output}'s file system has room for the file, its size known from the
   * model: {@code floats} float32 values (samples, trajectory, decoded images) and {@code bytes}
   * more (uint8 images).
   */
  static void checkOutputRoom(Path output, long floats, long bytes) {
    OutputFile.checkFreeSpace(output, "--output", 4 * floats + bytes + (1 << 16));
  }

  /** {@code --labels 3,1}. */
  static long[] parseLabels(String labels) {
    String[] parts = labels.split(",");
    long[] out = new long[parts.length];
    for (int i = 0; i < parts.length; i++) {
      try {
        out[i] = Long.parseLong(parts[i].trim());
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException(
            "--labels must be comma-separated integers, got '" + labels + "'");
      }
    }
    return out;
  }

  /**
   * The guidance for {@code --cfg-scale} / {@code --guided-channels} (default: the original's rule,
   * see Guidance).
   */
  static Guidance guidance(double scale, String guidedChannels, int inChannels) {
    Guidance g =
        guidedChannels == null
            ? Guidance.defaultFor(scale, inChannels)
            : new Guidance(scale, Guidance.parseChannels(guidedChannels));
    g.guidedChannels(inChannels);
    return g;
  }

  /** Re-throws a model input error naming the input file. */
  static IllegalArgumentException inFile(Path file, IllegalArgumentException e) {
    return new IllegalArgumentException(file + ": " + e.getMessage(), e);
  }
}
