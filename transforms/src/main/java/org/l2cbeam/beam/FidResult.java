package org.l2cbeam.beam;

import com.google.auto.value.AutoValue;
import java.io.Serializable;

/** The Fréchet distance of a set of samples against reference statistics, with what it was computed from. */
@AutoValue
public abstract class FidResult implements Serializable {
  private static final long serialVersionUID = 1L;

  public abstract double fid();

  /** Number of images whose features went into the statistics. */
  public abstract long imageCount();

  public abstract int featureDimension();

  /** The feature extractor, e.g. {@code builtin:fmnist-features}. */
  public abstract String extractor();

  /** The reference statistics, e.g. {@code builtin:fmnist-test-stats}. */
  public abstract String reference();

  public static FidResult of(double fid, long imageCount, int featureDimension, String extractor, String reference) {
    return new AutoValue_FidResult(fid, imageCount, featureDimension, extractor, reference);
  }
}
