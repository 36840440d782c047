package org.l2cbeam.core.vae;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.index.NDIndex;
import java.nio.file.Path;
import java.util.Arrays;
import org.l2cbeam.core.Parity;
import org.l2cbeam.core.TestResources;
import org.l2cbeam.core.io.TensorData;
import org.l2cbeam.core.io.WeightMap;

/**
 * The reference tensors of one VAE vector set ({@code vectors/vae} or {@code vectors/vae-wide}).
 */
final class VaeVectors {
  /** A float64 recomputation of the vectors agrees to < 1e-6 of max|ref|; allow 1e-5. */
  static final double TOLERANCE = 1e-5;

  final String set;
  final WeightMap tensors;

  VaeVectors(String set) {
    this.set = set;
    this.tensors = WeightMap.open(file("vae_vectors.safetensors"));
  }

  Path file(String name) {
    return TestResources.vector(set + "/" + name);
  }

  TensorData get(String name) {
    return tensors.get(name);
  }

  /**
   * max|actual - ref| / max|ref| over the tensor; intermediates hold batch element 0 only, so
   * compare that.
   */
  double relativeError(String name, NDArray actual) {
    TensorData ref = get(name);
    NDArray compared = actual;
    if (ref.shape()[0] == 1 && actual.getShape().get(0) > 1)
      compared = actual.get(new NDIndex("0:1"));
    assertArrayEquals(set + " " + name + " shape", ref.shape(), compared.getShape().getShape());
    return Parity.relativeError(set + " " + name, compared.toFloatArray(), ref.toFloatArray());
  }

  void assertClose(String what, String name, NDArray actual) {
    double rel = relativeError(name, actual);
    System.out.printf("parity %-9s %-32s %-20s rel %.2e%n", set, what, name, rel);
    assertTrue(
        set + " " + what + " " + name + ": relative error " + rel + " > " + TOLERANCE,
        rel <= TOLERANCE);
  }

  static String shape(long[] s) {
    return Arrays.toString(s);
  }
}
