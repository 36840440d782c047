package org.l2cbeam.pipelines.benchmark;

import java.io.Serializable;
import java.util.Locale;
import org.l2cbeam.beam.SampleRequest;

/**
 * The requests every setting of a benchmark samples: {@code sets} blocks of {@code perSet}
 * requests. In set j, request i has id {@code j·perSet + i}, label {@code i mod classes} and seed
 * {@code seed + j·perSet + i}, so set 0 is the requests of a benchmark without repeated sets, and
 * the sets are disjoint seed blocks with the same labels.
 */
record RequestSets(int perSet, int sets, long seed) implements Serializable {
  RequestSets {
    if (perSet < 1)
      throw new IllegalArgumentException("--samples-per-setting: must be positive, got " + perSet);
    if (sets < 1)
      throw new IllegalArgumentException("--request-sets: must be positive, got " + sets);
  }

  long total() {
    return (long) perSet * sets;
  }

  SampleRequest request(int set, int i, int classes) {
    long id = (long) set * perSet + i;
    return SampleRequest.of(id, i % classes, seed + id);
  }

  /** The set a request id belongs to. */
  int setOf(long id) {
    return (int) (id / perSet);
  }

  /**
   * How the requests were made, so that a reader can regenerate them (and reports can be compared).
   */
  String describe() {
    if (sets == 1) {
      return String.format(
          Locale.ROOT,
          "%d per setting: label i mod the model's classes, seed %d + i (the same for every setting)",
          perSet,
          seed);
    }
    return String.format(
        Locale.ROOT,
        "%d request sets of %d per setting: in set j, request i has label i mod the model's classes and seed %d + %d j"
            + " + i (the same for every setting)",
        sets,
        perSet,
        seed,
        perSet);
  }
}
