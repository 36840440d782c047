package org.l2cbeam.core.router.train;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import org.l2cbeam.core.io.CheckpointFormatException;
import org.l2cbeam.core.io.DType;
import org.l2cbeam.core.io.SafetensorsFile;
import org.l2cbeam.core.io.TensorData;

/**
 * Training examples from a safetensors file holding {@code x} (float latents or images, {@code [N,
 * C, H, W]}, already in the model's input space, e.g. {@code vae.encode(img).sample() * 0.18215})
 * and {@code y} (integer labels {@code [N]}). {@code x} stays memory-mapped; examples are read on
 * demand.
 */
public final class LatentExamples extends AbstractTrainingExamples {
  private final TensorData x;
  private final String fingerprint;
  private float[] widened;

  private LatentExamples(Path file, TensorData x, int[] labels, int[] shape, String fingerprint) {
    super(shape, labels, file.toString());
    this.x = x;
    this.fingerprint = fingerprint;
  }

  public static LatentExamples open(Path file) {
    SafetensorsFile.Contents c = SafetensorsFile.read(file);
    TensorData x = c.tensors.get("x");
    TensorData y = c.tensors.get("y");
    if (x == null) {
      throw new CheckpointFormatException(
          file, "missing tensor x (the inputs, [N, C, H, W]); has " + c.tensors.keySet());
    }
    if (y == null) {
      throw new CheckpointFormatException(
          file, "missing tensor y (the labels, [N]); has " + c.tensors.keySet());
    }
    long[] xs = x.shape();
    if (xs.length != 4) {
      throw new CheckpointFormatException(
          file, "tensor x must be [N, C, H, W], got " + java.util.Arrays.toString(xs));
    }
    if (!x.dtype().isFloating()) {
      throw new CheckpointFormatException(
          file, "tensor x must be floating point, got " + x.dtype());
    }
    if (y.shape().length != 1 || y.shape()[0] != xs[0]) {
      throw new CheckpointFormatException(
          file,
          "tensor y must be [N] with N = "
              + xs[0]
              + " (the rows of x), got "
              + java.util.Arrays.toString(y.shape()));
    }
    if (y.dtype().isFloating()) {
      throw new CheckpointFormatException(
          file, "tensor y must hold integer labels, got " + y.dtype());
    }
    int[] shape = {Math.toIntExact(xs[1]), Math.toIntExact(xs[2]), Math.toIntExact(xs[3])};
    return new LatentExamples(
        file, x, classLabels(y.toLongArray()), shape, ContentFingerprint.ofFile(file));
  }

  // A label outside int range can be no class of any model; -1 keeps it out of range so
  // checkFitsModel names it.
  private static int[] classLabels(long[] stored) {
    int[] labels = new int[stored.length];
    for (int i = 0; i < stored.length; i++) {
      long y = stored[i];
      labels[i] = y > Integer.MAX_VALUE || y < Integer.MIN_VALUE ? -1 : (int) y;
    }
    return labels;
  }

  @Override
  public void copyExample(int index, float[] dst, int offset) {
    int n = valuesPerExample();
    if (x.dtype() == DType.F32) {
      ByteBuffer b = x.bytes();
      b.position(Math.multiplyExact(index, n * 4));
      b.asFloatBuffer().get(dst, offset, n);
    } else {
      System.arraycopy(widened(), index * n, dst, offset, n);
    }
  }

  // F16/BF16/F64 inputs: widened to float once, on first use.
  private synchronized float[] widened() {
    if (widened == null) widened = x.toFloatArray();
    return widened;
  }

  @Override
  public String fingerprint() {
    return fingerprint;
  }
}
