package org.l2cbeam.core.diffusion;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.Random;

/**
 * Per-sample seeded Gaussian streams: sample i draws its initial latent and then each step's noise
 * from its own stream, seeded by {@code sampleSeeds[i]}. A sample therefore does not depend on the
 * batch it is in or its position, so a pipeline can split and batch work freely. With CFG the batch
 * is doubled; row {@code r} uses stream {@code r mod n}, i.e. both halves of a sample see the same
 * noise (the unconditional half is discarded anyway).
 *
 * <p>The generator is {@link java.util.Random#nextGaussian()}, whose algorithm the JDK specifies,
 * seeded with a splitmix64 hash of the sample seed, so streams are reproducible across JVMs and
 * uncorrelated for adjacent seeds. Not stateless: create one per sampling run, and call {@link
 * #initial} before any step noise.
 */
public final class SeededNoise implements NoiseSource {
  private final long[] seeds;
  private final Random[] streams;

  public SeededNoise(long[] sampleSeeds) {
    this.seeds = sampleSeeds.clone();
    this.streams = new Random[seeds.length];
    for (int i = 0; i < seeds.length; i++) streams[i] = new Random(mix(seeds[i]));
  }

  /**
   * Seeds {@code base + i} for samples {@code i = 0..n-1}: the CLI's {@code --seed K} for a list of
   * labels. The seeds must not run past {@link Long#MAX_VALUE}: wrapping around would give these
   * samples other seeds' noise.
   */
  public static SeededNoise consecutive(long base, int n) {
    checkConsecutive(base, n);
    long[] s = new long[n];
    for (int i = 0; i < n; i++) s[i] = base + i;
    return new SeededNoise(s);
  }

  /**
   * Throws unless seeds {@code base .. base + n - 1} are all representable (no wrap-around past
   * 2^63 - 1).
   */
  public static void checkConsecutive(long base, long n) {
    if (n > 0 && base > Long.MAX_VALUE - (n - 1)) {
      throw new IllegalArgumentException(
          "seed "
              + base
              + " + "
              + (n - 1)
              + " runs past the largest seed "
              + Long.MAX_VALUE
              + " (it would wrap around"
              + " to other seeds' noise); use a seed at most "
              + (Long.MAX_VALUE - (n - 1)));
    }
  }

  public int samples() {
    return seeds.length;
  }

  /** The initial latents {@code [n, C, H, W]}: the first draws of each sample's stream. */
  public NDArray initial(NDManager m, long channels, long height, long width) {
    int per = Math.toIntExact(channels * height * width);
    float[] values = new float[per * seeds.length];
    for (int i = 0; i < seeds.length; i++) fill(streams[i], values, i * per, per);
    return m.create(values, new Shape(seeds.length, channels, height, width));
  }

  @Override
  public NDArray stepNoise(NDManager m, int k, Shape shape) {
    long rows = shape.get(0);
    if (rows != seeds.length && rows != 2L * seeds.length) {
      throw new IllegalArgumentException(
          "noise for a batch of "
              + rows
              + " rows, but "
              + seeds.length
              + " sample streams (expected n or 2n rows)");
    }
    int per = Math.toIntExact(shape.size() / rows);
    float[] sampleNoise = new float[per * seeds.length];
    for (int i = 0; i < seeds.length; i++) fill(streams[i], sampleNoise, i * per, per);
    float[] values = new float[Math.toIntExact(shape.size())];
    for (int r = 0; r < rows; r++) {
      System.arraycopy(sampleNoise, (r % seeds.length) * per, values, r * per, per);
    }
    return m.create(values, shape);
  }

  private static void fill(Random r, float[] out, int offset, int count) {
    for (int j = 0; j < count; j++) out[offset + j] = (float) r.nextGaussian();
  }

  /** splitmix64 finaliser. */
  static long mix(long z) {
    z += 0x9E3779B97F4A7C15L;
    z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
    z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
    return z ^ (z >>> 31);
  }
}
