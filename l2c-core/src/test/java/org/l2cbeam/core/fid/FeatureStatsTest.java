package org.l2cbeam.core.fid;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
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
        // random cut points (some partitions may be empty), one accumulator per partition, row batches of varied size
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
        Parity.assertClose(parts + " partitions mu", merged.mu(), whole.mu(), 1e-10);
        Parity.assertClose(parts + " partitions sigma", merged.sigma(), whole.sigma(), 1e-10);
      }
    }
  }

  @Test
  public void encodingRoundTripsExactly() {
    FeatureStats s = new FeatureStats(64).add(rows("feat2"));
    byte[] bytes = s.encode();
    assertEquals(20 + 8 * (64 + 64 * 65 / 2), bytes.length);
    assertEquals(s, FeatureStats.decode(bytes));
  }

  @Test
  public void corruptEncodingIsRejected() {
    byte[] bytes = new FeatureStats(8).add(new float[][] {new float[8], new float[8]}).encode();
    byte[] cut = java.util.Arrays.copyOf(bytes, bytes.length - 8);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> FeatureStats.decode(cut));
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
