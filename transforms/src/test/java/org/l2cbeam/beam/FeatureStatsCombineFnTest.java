package org.l2cbeam.beam;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.Assert.assertThrows;

import java.io.ByteArrayInputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.apache.beam.sdk.coders.CoderException;
import org.apache.beam.sdk.testing.CoderProperties;
import org.apache.beam.sdk.testing.CombineFnTester;
import org.hamcrest.BaseMatcher;
import org.hamcrest.Description;
import org.junit.Test;
import org.l2cbeam.core.fid.FeatureStats;
import org.l2cbeam.core.image.ImageBatch;

/**
 * The ComputeFID accumulator: its coder and the combine's independence of sharding and merge order.
 */
public class FeatureStatsCombineFnTest {
  static final int DIM = 5;

  static FeatureStats batch(Random r, int n, double offset) {
    float[][] rows = new float[n][DIM];
    for (float[] row : rows)
      for (int j = 0; j < DIM; j++) row[j] = (float) (offset + r.nextGaussian() * (j + 1));
    return new FeatureStats(DIM).add(rows);
  }

  @Test
  public void coderRoundTripIsBitExactAndDeterministic() throws Exception {
    FeatureStats s = batch(new Random(1), 17, 3.0);
    CoderProperties.coderDecodeEncodeEqual(FeatureStatsCoder.of(), s);
    CoderProperties.coderDeterministic(FeatureStatsCoder.of(), s, FeatureStats.decode(s.encode()));
    CoderProperties.coderDecodeEncodeEqual(FeatureStatsCoder.of(), new FeatureStats(3));
    CoderProperties.coderSerializable(FeatureStatsCoder.of());
    FeatureStats back = org.apache.beam.sdk.util.CoderUtils.clone(FeatureStatsCoder.of(), s);
    assertThat(back.mu(), equalTo(s.mu()));
    assertThat(back.sigma(), equalTo(s.sigma()));
  }

  @Test
  public void corruptBytesAreACoderException() {
    byte[] junk = {0, 0, 0, 4, 1, 2, 3, 4};
    CoderException e =
        assertThrows(
            CoderException.class,
            () -> FeatureStatsCoder.of().decode(new ByteArrayInputStream(junk)));
    assertThat(e.getMessage(), containsString("FeatureStats"));
  }

  @Test
  public void imageBatchCoderRoundTrip() throws Exception {
    ImageBatch b =
        new ImageBatch(2, 3, 2, 1, new byte[] {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, (byte) 255});
    CoderProperties.coderDecodeEncodeEqual(ImageBatchCoder.of(), b);
    CoderProperties.coderDeterministic(ImageBatchCoder.of(), b, b.slice(0, 2));
  }

  /**
   * max|actual − expected| / max|expected|. A NaN or an infinity on either side is an {@link
   * AssertionError}, not a number: {@code NaN > tol} is false, so a plain comparison would let it
   * match.
   */
  static double relativeError(String what, double[] actual, double[] expected) {
    assertThat(what + " length", actual.length, equalTo(expected.length));
    double maxRef = 0;
    double maxDiff = 0;
    for (int i = 0; i < expected.length; i++) {
      if (!Double.isFinite(actual[i]) || !Double.isFinite(expected[i])) {
        throw new AssertionError(
            what + "[" + i + "]: " + actual[i] + " vs " + expected[i] + " is not finite");
      }
      maxRef = Math.max(maxRef, Math.abs(expected[i]));
      maxDiff = Math.max(maxDiff, Math.abs(actual[i] - expected[i]));
    }
    return maxRef == 0 ? maxDiff : maxDiff / maxRef;
  }

  @Test
  public void relativeErrorFailsOnNaNAndInfinityOnEitherSide() {
    double[] ref = {100, -3, 0.5};
    assertThat(relativeError("x", new double[] {100, -3, 0.75}, ref), equalTo(0.25 / 100));
    for (double bad :
        new double[] {Double.NaN, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY}) {
      for (int at = 0; at < ref.length; at++) {
        double[] broken = ref.clone();
        broken[at] = bad;
        AssertionError e =
            assertThrows(AssertionError.class, () -> relativeError("x", broken, ref));
        assertThat(e.getMessage(), containsString("x[" + at + "]"));
        assertThrows(AssertionError.class, () -> relativeError("x", ref, broken));
      }
    }
  }

  /**
   * Beam's tester folds the inputs in many shardings and merge orders; all agree with one pass to
   * 1e-12 (means) and 1e-10 (covariances) of the largest value.
   */
  @Test
  public void anyShardingGivesTheSameStatistics() {
    Random r = new Random(7);
    List<FeatureStats> inputs = new ArrayList<>();
    FeatureStats all = new FeatureStats(DIM);
    for (int i = 0; i < 12; i++) {
      FeatureStats b = batch(r, 1 + r.nextInt(9), 100.0); // a large mean: raw sums would cancel
      inputs.add(b);
      all.merge(b);
    }
    FeatureStats expected = all;
    CombineFnTester.testCombineFn(
        new FeatureStatsCombineFn(DIM),
        inputs,
        new BaseMatcher<FeatureStats>() {
          @Override
          public boolean matches(Object item) {
            FeatureStats s = (FeatureStats) item;
            return s.count() == expected.count()
                && relativeError("mu", s.mu(), expected.mu()) <= 1e-12
                && relativeError("sigma", s.sigma(), expected.sigma()) <= 1e-10;
          }

          @Override
          public void describeTo(Description d) {
            d.appendText("statistics equal to the single pass " + expected);
          }
        });
  }

  @Test
  public void mismatchedDimensionsAreRejected() {
    FeatureStatsCombineFn fn = new FeatureStatsCombineFn(DIM);
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> fn.addInput(fn.createAccumulator(), new FeatureStats(3)));
    assertThat(e.getMessage(), containsString("dimension"));
    assertThrows(IllegalArgumentException.class, () -> new FeatureStatsCombineFn(0));
  }
}
