package org.l2cbeam.beam;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import org.l2cbeam.core.router.train.InMemoryExamples;

/**
 * The examples of a {@code PCollection<TrainingExample>} as one core training set in a canonical
 * order: sorted by the SHA-256 of each example's {@link TrainingExampleCoder} encoding (label,
 * shape and float bits).
 *
 * <p>Why: a PCollection has no order, and the order a runner delivers elements in depends on
 * bundling and parallelism. Router training shuffles the set per epoch from the seed ({@code
 * ShuffledBatches}), so the result is a function of (set order, seed). Sorting by content first
 * makes it a function of the set's content and the seed only: the same router on any runner, at any
 * parallelism. Equal examples have equal keys, and swapping two equal examples changes nothing, so
 * the order is total on what matters.
 */
final class CanonicalTrainingSet {
  private CanonicalTrainingSet() {}

  /**
   * The examples, canonically ordered, as {@link InMemoryExamples} named {@code source} (its
   * fingerprint is then independent of arrival order too).
   *
   * @throws IllegalArgumentException if the examples do not all have the same shape
   */
  public static InMemoryExamples of(Iterable<TrainingExample> examples, String source) {
    List<Keyed> keyed = new ArrayList<>();
    for (TrainingExample e : examples) keyed.add(new Keyed(contentKey(e), e));
    keyed.sort(Comparator.comparing((Keyed k) -> k.key));
    if (keyed.isEmpty()) {
      return new InMemoryExamples(new int[] {1, 1, 1}, new float[0], new int[0], source);
    }
    TrainingExample first = keyed.get(0).example;
    int[] shape = {first.channels(), first.height(), first.width()};
    int n = shape[0] * shape[1] * shape[2];
    float[] values = new float[Math.multiplyExact(n, keyed.size())];
    int[] labels = new int[keyed.size()];
    for (int i = 0; i < keyed.size(); i++) {
      TrainingExample e = keyed.get(i).example;
      if (e.channels() != shape[0] || e.height() != shape[1] || e.width() != shape[2]) {
        throw new IllegalArgumentException(
            source
                + ": examples have different shapes, "
                + shape[0]
                + "x"
                + shape[1]
                + "x"
                + shape[2]
                + " and "
                + e.channels()
                + "x"
                + e.height()
                + "x"
                + e.width()
                + " (label "
                + e.label()
                + ")");
      }
      System.arraycopy(e.values(), 0, values, i * n, n);
      labels[i] = e.label();
    }
    return new InMemoryExamples(shape, values, labels, source);
  }

  /** The sort key: SHA-256 hex of the example's coder encoding. */
  static String contentKey(TrainingExample e) {
    try {
      ByteArrayOutputStream bytes = new ByteArrayOutputStream(16 + 4 * e.values().length);
      TrainingExampleCoder.of().encode(e, bytes);
      return HexFormat.of()
          .formatHex(MessageDigest.getInstance("SHA-256").digest(bytes.toByteArray()));
    } catch (IOException ex) {
      throw new UncheckedIOException(ex);
    } catch (NoSuchAlgorithmException ex) {
      throw new IllegalStateException(ex);
    }
  }

  private static final class Keyed {
    final String key;
    final TrainingExample example;

    Keyed(String key, TrainingExample example) {
      this.key = key;
      this.example = example;
    }
  }
}
