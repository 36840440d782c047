package org.l2cbeam.core.fid;

import java.nio.charset.StandardCharsets;

/**
 * Bit-reproducible uniform values in [-1, 1), the rule the reference vectors use for their
 * deterministic Inception weights and inputs (manifest {@code fid.inception.hash_uniform}): a
 * splitmix64 stream keyed by FNV-1a of a name and a seed. Every value is a multiple of 2^-23, so
 * float32 and float64 agree exactly.
 */
public final class HashUniform {
  private static final long GOLDEN = 0x9E3779B97F4A7C15L;

  private HashUniform() {}

  /** {@code n} values for {@code name} and {@code seed}. */
  public static double[] values(String name, long seed, int n) {
    long base = fnv1a64(name) ^ (seed * GOLDEN);
    double[] out = new double[n];
    for (int i = 0; i < n; i++) {
      long z = base + (i + 1L) * GOLDEN;
      z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
      z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
      z = z ^ (z >>> 31);
      out[i] = ((z >>> 40) - (1L << 23)) / (double) (1L << 23);
    }
    return out;
  }

  static long fnv1a64(String name) {
    long h = 0xcbf29ce484222325L;
    for (byte b : name.getBytes(StandardCharsets.UTF_8)) {
      h ^= b & 0xff;
      h *= 0x100000001b3L;
    }
    return h;
  }
}
