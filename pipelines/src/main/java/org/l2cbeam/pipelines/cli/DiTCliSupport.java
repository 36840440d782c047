package org.l2cbeam.pipelines.cli;

import java.nio.file.Path;
import java.util.Arrays;
import org.l2cbeam.core.diffusion.Guidance;
import org.l2cbeam.core.io.CheckpointFormatException;
import org.l2cbeam.core.io.DType;
import org.l2cbeam.core.io.TensorData;
import org.l2cbeam.core.io.WeightMap;

/** Option parsing and input checks shared by {@code l2c forward} and {@code l2c sample}. */
final class DiTCliSupport {
  private DiTCliSupport() {}

  /** A required tensor of {@code file} with the given rank and kind; the error names the file and tensor. */
  static TensorData require(WeightMap file, String name, int rank, boolean floating, String meaning) {
    if (!file.contains(name)) {
      throw new CheckpointFormatException(
          file.source(), "no tensor '" + name + "' (" + meaning + "); the file has " + file.names());
    }
    TensorData t = file.get(name);
    boolean ok = t.shape().length == rank && (floating ? t.dtype().isFloating() : isIntegral(t.dtype()));
    if (!ok) {
      throw new CheckpointFormatException(
          file.source(),
          "tensor '" + name + "' must be " + (floating ? "a float" : "an integer") + " array of rank " + rank + " ("
              + meaning + "), got " + t.dtype() + " " + Arrays.toString(t.shape()));
    }
    return t;
  }

  private static boolean isIntegral(DType d) {
    return !d.isFloating();
  }

  /** {@code --cache-mask}: one '0'/'1' per cache unit, '1' = computed on the cache step. */
  static boolean[] parseMask(String bits, int units) {
    String b = bits.trim();
    if (b.length() != units || !b.matches("[01]+")) {
      throw new IllegalArgumentException(
          "--cache-mask must be " + units + " characters of 0/1 (one per cache unit: 2b = attention of block b, 2b+1"
              + " its MLP), got '" + bits + "' (" + b.length() + " characters)");
    }
    boolean[] m = new boolean[units];
    for (int u = 0; u < units; u++) m[u] = b.charAt(u) == '1';
    return m;
  }

  /** {@code --labels 3,1}. */
  static long[] parseLabels(String labels) {
    String[] parts = labels.split(",");
    long[] out = new long[parts.length];
    for (int i = 0; i < parts.length; i++) {
      try {
        out[i] = Long.parseLong(parts[i].trim());
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException("--labels must be comma-separated integers, got '" + labels + "'");
      }
    }
    return out;
  }

  /** The guidance for {@code --cfg-scale} / {@code --guided-channels} (default: the original's rule, see Guidance). */
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
