package org.l2cbeam.core.vae;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.Map;

/**
 * Random full-size weights for benchmarks (no real checkpoint ships with the project): GroupNorm
 * scales 1, biases 0, conv weights N(0, 1/fan_in) so activations stay in a normal range and timing
 * is not skewed by inf/NaN.
 */
public final class RandomVaeParameters implements VaeParameters {
  private final VaeConfig config;
  private final Map<String, long[]> shapes;

  public RandomVaeParameters(VaeConfig config) {
    this.config = config;
    this.shapes = config.ldmShapes();
  }

  @Override
  public VaeConfig config() {
    return config;
  }

  @Override
  public NDArray load(String ldmKey, NDManager manager) {
    long[] s = shapes.get(ldmKey);
    if (s == null) throw new IllegalArgumentException("no parameter " + ldmKey + " in " + config);
    Shape shape = new Shape(s);
    if (ldmKey.endsWith(".bias")) return manager.zeros(shape);
    if (s.length == 1) return manager.ones(shape); // GroupNorm scale
    long fanIn = shape.size() / s[0];
    return manager.randomNormal(0f, (float) (1 / Math.sqrt(fanIn)), shape, DataType.FLOAT32);
  }

  @Override
  public String description() {
    return "random weights (" + config + ")";
  }
}
