package org.l2cbeam.core.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.Map;
import org.l2cbeam.core.io.WeightMap;

/**
 * Where a model's parameters come from: a checkpoint's state dict, or random values (benchmarks).
 * Loading the same name twice gives the same values: a model with packed weights reloads a dense
 * copy only when it needs one.
 */
@FunctionalInterface
public interface ParameterSource {
  /** The named parameter as a torch-owned array in {@code manager}. */
  NDArray load(String name, NDManager manager);

  static ParameterSource of(WeightMap stateDict) {
    return (name, manager) -> stateDict.get(name).toNDArray(manager);
  }

  /**
   * Normal(0, std) values of the given shapes, drawn by libtorch in the weights' manager (no
   * Java-side copy, so even a 2.7 GB DiT-XL/2 costs only its native memory), each from a generator
   * seeded by its name, so a reload repeats it. For speed and memory measurements, not for quality.
   */
  static ParameterSource random(Map<String, long[]> shapes, float std) {
    return random(shapes, std, 0);
  }

  /** {@link #random(Map, float)} with the names' seeds mixed with {@code seed}. */
  static ParameterSource random(Map<String, long[]> shapes, float std, long seed) {
    return (name, manager) -> {
      long[] s = shapes.get(name);
      if (s == null) {
        throw new IllegalArgumentException("no shape for parameter '" + name + "'");
      }
      synchronized (ParameterSource.class) { // the seed is libtorch's global generator
        manager.getEngine().setRandomSeed((int) (name.hashCode() ^ seed ^ (seed >>> 32)));
        return manager.randomNormal(0f, std, new Shape(s), DataType.FLOAT32);
      }
    };
  }
}
