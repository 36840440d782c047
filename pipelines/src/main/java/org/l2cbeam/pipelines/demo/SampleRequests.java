package org.l2cbeam.pipelines.demo;

/**
 * The fixed requests every setting samples: request i has label {@code i % 10} (balanced classes) and seed
 * {@code seed + i}, so two settings differ only in the sampler, never in the noise they start from.
 */
record SampleRequests(long[] labels, long[] seeds) {
  static SampleRequests balanced(int n, int classes, long seed) {
    long[] labels = new long[n];
    long[] seeds = new long[n];
    for (int i = 0; i < n; i++) {
      labels[i] = i % classes;
      seeds[i] = seed + i;
    }
    return new SampleRequests(labels, seeds);
  }

  int size() {
    return labels.length;
  }

  long[] labels(int from, int to) {
    return java.util.Arrays.copyOfRange(labels, from, to);
  }

  long[] seeds(int from, int to) {
    return java.util.Arrays.copyOfRange(seeds, from, to);
  }
}
