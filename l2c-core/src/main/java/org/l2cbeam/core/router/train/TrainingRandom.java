package org.l2cbeam.core.router.train;

/**
 * The random numbers of router training, as independent streams keyed by (seed, purpose, index).
 *
 * <p>Every draw of iteration i (which cache step, which examples, the noise, the label dropout)
 * comes from a stream keyed by i, so the draws are a pure function of the seed and the position in
 * the run. The whole RNG state is therefore {@code (seed, next iteration)}: a run that is killed
 * and resumed from a checkpoint redraws exactly what an uninterrupted run draws, and trainers of
 * different cache steps on different workers never share a stream.
 *
 * <p>The generator is SplitMix64 (Steele, Lea, Flood 2014): 64-bit state, passes BigCrush, and
 * cheap to seed.
 */
public final class TrainingRandom {
  /**
   * What a stream is used for; part of the key, so streams for different purposes never overlap.
   */
  public enum Purpose {
    ROUTER_INIT(1),
    CACHE_STEP(2),
    EPOCH_ORDER(3),
    NOISE(4),
    LABEL_DROPOUT(5),
    /**
     * Per image (index in the folder), drawn once when a folder of images is encoded: the
     * horizontal flip.
     */
    IMAGE_FLIP(6),
    /** Per image, drawn once when a folder of images is encoded: the VAE posterior noise. */
    POSTERIOR_NOISE(7);

    final long tag;

    Purpose(long tag) {
      this.tag = tag;
    }
  }

  private static final long GOLDEN = 0x9E3779B97F4A7C15L;

  private long state;
  private double spareGaussian;
  private boolean hasSpare;

  private TrainingRandom(long state) {
    this.state = state;
  }

  /**
   * The stream for {@code purpose} at {@code index} (e.g. the iteration) of a run seeded with
   * {@code seed}.
   */
  public static TrainingRandom stream(long seed, Purpose purpose, long index) {
    long s = mix(seed ^ GOLDEN);
    s = mix(s ^ (purpose.tag * GOLDEN));
    s = mix(s ^ (index + 0x632BE59BD9B4E019L));
    return new TrainingRandom(s);
  }

  private static long mix(long z) {
    z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
    z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
    return z ^ (z >>> 31);
  }

  public long nextLong() {
    state += GOLDEN;
    return mix(state);
  }

  /** Uniform in [0, 1) with 53 random bits. */
  public double nextDouble() {
    return (nextLong() >>> 11) * 0x1.0p-53;
  }

  /** Uniform in [0, 1) with 24 random bits, like {@code torch.rand} in float32. */
  public float nextFloat() {
    return (nextLong() >>> 40) * 0x1.0p-24f;
  }

  /** Uniform integer in [0, bound), unbiased (rejection sampling). */
  public int nextInt(int bound) {
    if (bound <= 0) throw new IllegalArgumentException("bound must be positive, got " + bound);
    long limit = (1L << 32) - ((1L << 32) % bound);
    long r;
    do {
      r = nextLong() >>> 32;
    } while (r >= limit);
    return (int) (r % bound);
  }

  /** Standard normal (Box-Muller in double precision, both values of a pair used). */
  public double nextGaussian() {
    if (hasSpare) {
      hasSpare = false;
      return spareGaussian;
    }
    double u1;
    do {
      u1 = nextDouble();
    } while (u1 == 0.0);
    double u2 = nextDouble();
    double radius = Math.sqrt(-2.0 * Math.log(u1));
    double angle = 2.0 * Math.PI * u2;
    spareGaussian = radius * Math.sin(angle);
    hasSpare = true;
    return radius * Math.cos(angle);
  }

  /** {@code n} standard normal floats. */
  public float[] gaussians(int n) {
    float[] out = new float[n];
    for (int i = 0; i < n; i++) out[i] = (float) nextGaussian();
    return out;
  }

  /** A uniformly random permutation of 0..n-1 (Fisher-Yates). */
  public int[] permutation(int n) {
    int[] p = new int[n];
    for (int i = 0; i < n; i++) p[i] = i;
    for (int i = n - 1; i > 0; i--) {
      int j = nextInt(i + 1);
      int t = p[i];
      p[i] = p[j];
      p[j] = t;
    }
    return p;
  }
}
