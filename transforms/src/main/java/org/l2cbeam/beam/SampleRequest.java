package org.l2cbeam.beam;

import com.google.auto.value.AutoValue;
import java.io.Serializable;

/**
 * One image to generate: a class label and the seed of its noise stream. The id orders outputs (a
 * pipeline writes samples in request-id order) and ties an output to its request. The same request
 * always gives the same image, whatever batch or worker it lands on, because the noise comes from
 * the seed alone.
 */
@AutoValue
public abstract class SampleRequest implements Serializable {
  private static final long serialVersionUID = 1L;

  public abstract long id();

  public abstract int label();

  public abstract long seed();

  public static SampleRequest of(long id, int label, long seed) {
    if (label < 0) {
      throw new IllegalArgumentException(
          "sample request " + id + ": label must be >= 0, got " + label);
    }
    return new AutoValue_SampleRequest(id, label, seed);
  }
}
