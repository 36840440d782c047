package org.l2cbeam.beam;

import com.google.auto.value.AutoValue;
import java.io.Serializable;

/**
 * The Fréchet distance of a set of samples against reference statistics, with what it measured: how
 * many images, which extractor and reference, and, for samples from {@link CachedSample}, the
 * setting: the label given to {@link ComputeFID#withLabel}, the samples' schedule id, θ and the
 * fraction of the sampling run's MACs the schedule removed (0 for the plain sampler).
 */
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

  /**
   * The label given to {@link ComputeFID#withLabel}, e.g. {@code DDIM-20 + L2C 25%}; empty if none.
   */
  public abstract String label();

  /**
   * The schedule id of the samples, e.g. {@code ddim20} or {@code
   * ddim20-l2c-theta0.754-macs0.252-3f9a02c1}; several ids comma-separated if the samples came from
   * several schedules; empty for plain images ({@link ComputeFID#onImages}).
   */
  public abstract String scheduleId();

  /**
   * θ of the samples' L2C schedule; NaN for the plain sampler, several schedules or plain images.
   */
  public abstract double theta();

  /**
   * Fraction of the sampling run's MACs the samples' schedule removed: 0 for the plain sampler; NaN
   * for several schedules or plain images.
   */
  public abstract double macsRemoved();

  public static FidResult of(
      double fid, long imageCount, int featureDimension, String extractor, String reference) {
    return of(fid, imageCount, featureDimension, extractor, reference, "", "");
  }

  /** With the label and the samples' schedule id, from which θ and the MACs removed are read. */
  public static FidResult of(
      double fid,
      long imageCount,
      int featureDimension,
      String extractor,
      String reference,
      String label,
      String scheduleId) {
    boolean one = !scheduleId.isEmpty() && !scheduleId.contains(",");
    return new AutoValue_FidResult(
        fid,
        imageCount,
        featureDimension,
        extractor,
        reference,
        label,
        scheduleId,
        one ? ScheduleId.theta(scheduleId) : Double.NaN,
        one ? ScheduleId.macsRemoved(scheduleId) : Double.NaN);
  }
}
