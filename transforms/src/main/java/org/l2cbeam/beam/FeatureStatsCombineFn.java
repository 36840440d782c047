package org.l2cbeam.beam;

import java.util.Iterator;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.coders.CoderRegistry;
import org.apache.beam.sdk.transforms.Combine;
import org.l2cbeam.core.fid.FeatureStats;

/**
 * Merges partial feature statistics into one: the combine behind {@link ComputeFID}. Inputs and the
 * accumulator are core's mergeable {@link FeatureStats} (count and compensated raw sums), so any
 * bundling, any combiner lifting and any merge order give the same mean and covariance, bit for
 * bit.
 */
public final class FeatureStatsCombineFn
    extends Combine.CombineFn<FeatureStats, FeatureStats, FeatureStats> {
  private static final long serialVersionUID = 1L;

  private final int dim;

  /** Statistics of {@code dim}-d features; inputs of another dimension are rejected. */
  public FeatureStatsCombineFn(int dim) {
    if (dim <= 0)
      throw new IllegalArgumentException(
          "FeatureStatsCombineFn: dimension must be positive, got " + dim);
    this.dim = dim;
  }

  public int dim() {
    return dim;
  }

  @Override
  public FeatureStats createAccumulator() {
    return new FeatureStats(dim);
  }

  @Override
  public FeatureStats addInput(FeatureStats accumulator, FeatureStats input) {
    return accumulator.merge(input);
  }

  /**
   * Merges into the first accumulator (Beam allows modifying it); the others are left unchanged.
   */
  @Override
  public FeatureStats mergeAccumulators(Iterable<FeatureStats> accumulators) {
    Iterator<FeatureStats> it = accumulators.iterator();
    if (!it.hasNext()) return createAccumulator();
    FeatureStats merged = it.next();
    while (it.hasNext()) merged.merge(it.next());
    return merged;
  }

  @Override
  public FeatureStats extractOutput(FeatureStats accumulator) {
    return accumulator;
  }

  @Override
  public Coder<FeatureStats> getAccumulatorCoder(
      CoderRegistry registry, Coder<FeatureStats> inputCoder) {
    return FeatureStatsCoder.of();
  }

  @Override
  public Coder<FeatureStats> getDefaultOutputCoder(
      CoderRegistry registry, Coder<FeatureStats> inputCoder) {
    return FeatureStatsCoder.of();
  }
}
