package org.l2cbeam.core.fid;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertThrows;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import org.junit.Test;
import org.l2cbeam.core.Parity;
import org.l2cbeam.core.TestResources;
import org.l2cbeam.core.io.WeightMap;

public class FeatureStatsTest {
  private static final WeightMap FID = WeightMap.open(TestResources.vector("fid.safetensors"));

  static float[][] rows(String name) {
    long[] shape = FID.shape(name);
    float[] flat = FID.get(name).toFloatArray();
    int n = (int) shape[0];
    int d = (int) shape[1];
    float[][] out = new float[n][d];
    for (int i = 0; i < n; i++) System.arraycopy(flat, i * d, out[i], 0, d);
    return out;
  }

  @Test
  public void matchesNumpyMeanAndCovariance() {
    FeatureStats s1 = new FeatureStats(64).add(rows("feat1"));
    FeatureStats s2 = new FeatureStats(64).add(rows("feat2"));
    assertEquals(500, s1.count());
    Parity.assertClose("mu1", s1.mu(), FID.get("mu1").toDoubleArray(), 1e-6);
    Parity.assertClose("sigma1", s1.sigma(), FID.get("sigma1").toDoubleArray(), 1e-6);
    Parity.assertClose("mu2", s2.mu(), FID.get("mu2").toDoubleArray(), 1e-6);
    Parity.assertClose("sigma2", s2.sigma(), FID.get("sigma2").toDoubleArray(), 1e-6);
  }

  @Test
  public void anyPartitioningAndMergeOrderGivesTheSameStatistics() {
    float[][] all = rows("feat1");
    FeatureStats whole = new FeatureStats(64).add(all);
    Random random = new Random(5);
    for (int parts : new int[] {1, 2, 7, 64}) {
      for (int trial = 0; trial < 3; trial++) {
        // random cut points (some partitions may be empty), one accumulator per partition, row
        // batches of varied size
        List<Integer> cuts = new ArrayList<>();
        for (int i = 0; i < parts - 1; i++) cuts.add(random.nextInt(all.length + 1));
        cuts.add(0);
        cuts.add(all.length);
        Collections.sort(cuts);
        List<FeatureStats> partials = new ArrayList<>();
        for (int p = 0; p + 1 < cuts.size(); p++) {
          FeatureStats part = new FeatureStats(64);
          int at = cuts.get(p);
          while (at < cuts.get(p + 1)) {
            int n = Math.min(1 + random.nextInt(40), cuts.get(p + 1) - at);
            float[][] batch = new float[n][];
            for (int i = 0; i < n; i++) batch[i] = all[at + i];
            part.add(batch);
            at += n;
          }
          // round-trip through the coder's bytes, as a Beam combine would
          partials.add(FeatureStats.decode(part.encode()));
        }
        Collections.shuffle(partials, random);
        // merge as a random binary tree rather than left to right
        while (partials.size() > 1) {
          int i = random.nextInt(partials.size() - 1);
          FeatureStats merged = partials.remove(i).merge(partials.remove(i));
          partials.add(random.nextInt(partials.size() + 1), merged);
        }
        FeatureStats merged = partials.get(0);
        assertEquals(all.length, merged.count());
        // bit for bit: a benchmark's FIDs must not depend on how the runner bundled its images
        assertArrayEquals(parts + " partitions mu", whole.mu(), merged.mu(), 0);
        assertArrayEquals(parts + " partitions sigma", whole.sigma(), merged.sigma(), 0);
      }
    }
  }

  @Test
  public void aLargeMeanNextToASmallSpreadKeepsItsCovariance() {
    // Features near 1000 with a spread of about 1e-3: raw sums in plain doubles would lose the
    // covariance to
    // cancellation (1e6 next to 1e-6); the compensated sums keep it.
    Random random = new Random(7);
    float[][] rows = new float[300][3];
    double[][] centred = new double[300][3];
    for (int i = 0; i < rows.length; i++) {
      for (int j = 0; j < 3; j++) {
        rows[i][j] = 1000f + (float) (1e-3 * random.nextGaussian());
        centred[i][j] = rows[i][j] - 1000.0;
      }
    }
    FeatureStats big = new FeatureStats(3).add(rows);
    FeatureStats small = new FeatureStats(3).add(centred);
    Parity.assertClose("sigma", big.sigma(), small.sigma(), 1e-9);
    double[] mu = small.mu();
    for (int j = 0; j < 3; j++) mu[j] += 1000.0;
    Parity.assertClose("mu", big.mu(), mu, 1e-12);
  }

  @Test
  public void anOlderEncodingVersionIsRejectedByName() {
    byte[] bytes = new FeatureStats(2).add(new float[][] {{1, 2}, {3, 4}}).encode();
    bytes[7] = 1; // version 1: a mean and a centred co-moment
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> FeatureStats.decode(bytes));
    assertThat(e.getMessage(), containsString("unsupported FeatureStats encoding version 1"));
  }

  @Test
  public void encodingRoundTripsExactly() {
    FeatureStats s = new FeatureStats(64).add(rows("feat2"));
    byte[] bytes = s.encode();
    assertEquals(20 + 16 * (64 + 64 * 65 / 2), bytes.length);
    assertEquals(s, FeatureStats.decode(bytes));
  }

  @Test
  public void corruptEncodingIsRejected() {
    byte[] bytes = new FeatureStats(8).add(new float[][] {new float[8], new float[8]}).encode();
    byte[] cut = java.util.Arrays.copyOf(bytes, bytes.length - 8);
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> FeatureStats.decode(cut));
    assertThat(e.getMessage(), containsString("corrupt FeatureStats encoding"));
  }

  @Test
  public void fewerThanTwoImagesHaveNoCovariance() {
    FeatureStats one = new FeatureStats(4).add(new float[][] {{1, 2, 3, 4}});
    IllegalStateException e = assertThrows(IllegalStateException.class, one::sigma);
    assertThat(e.getMessage(), containsString("at least 2 images"));
    assertThat(e.getMessage(), containsString("got 1"));
    assertThrows(IllegalStateException.class, () -> new FeatureStats(4).mu());
  }

  @Test
  public void mismatchedDimensionsAreRejected() {
    FeatureStats s = new FeatureStats(4);
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> s.add(new float[][] {{1, 2, 3}}));
    assertThat(e.getMessage(), containsString("has 3 values, these statistics have dimension 4"));
    e = assertThrows(IllegalArgumentException.class, () -> s.merge(new FeatureStats(5)));
    assertThat(e.getMessage(), containsString("dimension 5 into dimension 4"));
  }
}
