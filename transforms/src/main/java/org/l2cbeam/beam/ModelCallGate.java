package org.l2cbeam.beam;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.Semaphore;
import java.util.function.Supplier;

/**
 * Bounds how many model calls (a sampling batch, a feature batch) run at once in one worker JVM.
 *
 * <p>One libtorch call already spreads its matrix work over every core (intra-op threads). A runner that gives each
 * core its own DoFn thread (DirectRunner makes at least 3, Flink one per slot, Dataflow one per harness thread) would
 * otherwise run several such calls at once, and on CPU the OpenMP pools then fight over the same cores: measured here
 * on 2 cores, several times slower than one call at a time. On a GPU the bound is also the memory lever.
 *
 * <p>Gates are JVM-wide and shared by every transform configured with the same number of permits.
 */
public final class ModelCallGate {
  private static final ConcurrentMap<Integer, Semaphore> GATES = new ConcurrentHashMap<>();

  private ModelCallGate() {}

  /** Runs {@code call} once one of {@code permits} JVM-wide slots is free. */
  public static <T> T run(int permits, Supplier<T> call) {
    if (permits <= 0) throw new IllegalArgumentException("permits must be positive, got " + permits);
    Semaphore gate = GATES.computeIfAbsent(permits, p -> new Semaphore(p, true));
    gate.acquireUninterruptibly();
    try {
      return call.get();
    } finally {
      gate.release();
    }
  }
}
