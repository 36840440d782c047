package org.l2cbeam.pipelines.cli;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import java.nio.file.Path;
import java.util.function.Function;
import org.l2cbeam.core.io.TensorData;
import org.l2cbeam.core.io.WeightMap;

/**
 * Tensor plumbing shared by {@code l2c vae decode} and {@code l2c vae encode}: required input
 * tensors, batch-wise runs that keep one mini-batch of activations alive at a time, and errors that
 * name the file and tensor.
 */
final class VaeTensorFiles {
  private VaeTensorFiles() {}

  static TensorData require(WeightMap file, String name, String meaning) {
    return CommandInputs.require(file, name, 4, true, meaning);
  }

  /**
   * Applies {@code step} to mini-batches of {@code input} and concatenates the results along the
   * batch axis. Every layer acts per sample, so batching changes nothing numerically. A model error
   * is re-thrown naming the input file and tensor.
   */
  static TensorData mapBatches(
      NDManager manager,
      Path file,
      String name,
      NDArray input,
      int batchSize,
      Function<NDArray, NDArray> step) {
    long n = input.getShape().get(0);
    float[] out = null;
    long[] outShape = null;
    int offset = 0;
    for (long start = 0; start < n; start += batchSize) {
      long end = Math.min(n, start + batchSize);
      try (NDManager scope = manager.newSubManager()) {
        NDArray chunk = input.get(new NDIndex(start + ":" + end));
        chunk.attach(scope);
        NDArray result;
        try {
          result = step.apply(chunk);
        } catch (IllegalArgumentException e) {
          throw new IllegalArgumentException(
              file + ": tensor '" + name + "': " + e.getMessage(), e);
        }
        float[] values = result.toFloatArray();
        if (out == null) {
          outShape = result.getShape().getShape();
          outShape[0] = n;
          out = new float[Math.toIntExact(TensorData.numel(outShape))];
        }
        System.arraycopy(values, 0, out, offset, values.length);
        offset += values.length;
      }
    }
    return TensorData.ofFloats(outShape, out);
  }
}
