package org.l2cbeam.beam;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.io.Closeable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Supplier;
import org.apache.beam.sdk.metrics.MetricsContainer;
import org.apache.beam.sdk.metrics.MetricsEnvironment;
import org.l2cbeam.core.runtime.Torch;

/**
 * Runs the model calls of one worker JVM (a sampling batch, a feature batch, a router's training)
 * on a small fixed set of threads owned by the gate, {@code permits} calls at a time.
 *
 * <p>Why a bound: one libtorch call already spreads its matrix work over every core (intra-op
 * threads). A runner that gives each core its own DoFn thread (DirectRunner makes at least 3, Flink
 * one per slot, Dataflow one per harness thread) would otherwise run several such calls at once,
 * and on CPU they fight over the same cores. On a GPU the bound is also the memory lever.
 *
 * <p>Why the gate's own threads: libtorch's OpenMP keeps a team of worker threads per calling
 * thread, and idle teams spin for a while before they sleep. Calls arriving from a runner's
 * ever-changing bundle threads would each wake or build a team while the previous one still spins;
 * measured on 2 cores, a pipeline ran at 0.46 of the bare sampler loop that way. Always calling
 * from the same thread keeps one warm team, as the bare loop has.
 *
 * <p>Gates are JVM-wide and shared by every transform configured with the same number of permits,
 * and their threads live as long as the JVM, so every pipeline run in a JVM (a notebook's re-runs)
 * calls libtorch from the same threads. A call made from inside a gated call runs at once on its
 * thread (no deadlock). Gate threads start with grad mode off, and a call's Beam metrics count for
 * the DoFn that made it.
 *
 * <p>Why an idle OpenMP team ({@link #keepOpenMpThrottled}): libtorch's OpenMP (libgomp) lets a
 * team's idle threads spin for about 3 ms before they sleep, unless the process has more OpenMP
 * threads than cores, in which case they spin only briefly. Runners keep threads of their own busy
 * while a model call is outstanding (the DirectRunner's driver loop polls without pause), so on a
 * machine with as many cores as libtorch has threads, every spinning team thread takes a core from
 * the call's other threads, and each parallel region waits for a thread that is not running.
 * Measured on 2 cores: the same pipeline took 4-5x the CPU seconds on its second run in a JVM. The
 * first run was spared only by accident: the DoFn thread that loaded the model had made a second
 * team, which died with the runner's threads at the end of the run. One idle team owned by the
 * gate, made once and kept for the JVM's life, keeps libgomp in its brief-spin mode on every run
 * ({@code l2c bench beam --reruns 3} measures it).
 */
public final class ModelCallGate {
  private static final ConcurrentMap<Integer, ExecutorService> GATES = new ConcurrentHashMap<>();
  private static final ThreadLocal<Boolean> ON_GATE_THREAD = ThreadLocal.withInitial(() -> false);
  private static final AtomicInteger THREADS = new AtomicInteger();

  private ModelCallGate() {}

  /**
   * Runs {@code call} on a gate thread once one of {@code permits} JVM-wide slots is free, and
   * returns its result.
   */
  public static <T> T run(int permits, Supplier<T> call) {
    // Beam metrics go to the calling DoFn's container, which is thread-local: hand it to the gate
    // thread.
    return run(permits, call, MetricsEnvironment.getCurrentContainer());
  }

  /**
   * {@link #run} for a caller outside any DoFn (e.g. releasing a model between pipeline runs),
   * which has no metrics container: asking Beam for one there logs an error.
   */
  static <T> T runOutsidePipeline(Supplier<T> call) {
    return run(1, call, null);
  }

  private static <T> T run(int permits, Supplier<T> call, MetricsContainer metrics) {
    if (permits <= 0)
      throw new IllegalArgumentException("permits must be positive, got " + permits);
    if (ON_GATE_THREAD.get()) return call.get();
    ExecutorService gate = GATES.computeIfAbsent(permits, ModelCallGate::newGate);
    keepOpenMpThrottled();
    Future<T> result =
        gate.submit(
            () -> {
              if (metrics == null) return call.get();
              try (Closeable scope = MetricsEnvironment.scopedMetricsContainer(metrics)) {
                return call.get();
              }
            });
    try {
      return result.get();
    } catch (ExecutionException e) {
      Throwable cause = e.getCause();
      if (cause instanceof RuntimeException) throw (RuntimeException) cause;
      if (cause instanceof Error) throw (Error) cause;
      throw new IllegalStateException(cause);
    } catch (InterruptedException e) {
      result.cancel(false);
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while waiting for a model call", e);
    }
  }

  /**
   * Starts, once per JVM, a daemon thread that makes one OpenMP team (one parallel libtorch op) and
   * then sleeps for the JVM's life: its threads cost no CPU, and libgomp counts them, so it sees
   * more OpenMP threads than cores and keeps the gate team's idle spinning short (see the class
   * comment). Returns once the team exists.
   */
  static void keepOpenMpThrottled() {
    IdleOpenMpTeam.READY.join();
  }

  /** The JVM-wide idle team; the holder class makes it start exactly once, on first use. */
  private static final class IdleOpenMpTeam {
    static final CompletableFuture<Void> READY = start();

    private static CompletableFuture<Void> start() {
      CompletableFuture<Void> ready = new CompletableFuture<>();
      Thread t =
          new Thread(
              () -> {
                try {
                  Torch.inferenceMode();
                  // 2^21 elements are 64 of ATen's parallel grains: the op runs on every intra-op
                  // thread.
                  try (NDManager m = Torch.newManager(Device.cpu())) { // OpenMP teams are the CPU's
                    m.ones(new Shape(1 << 21)).add(1f).sum().getFloat();
                  }
                  ready.complete(null);
                } catch (RuntimeException | Error e) {
                  ready.completeExceptionally(e);
                  return;
                }
                while (true) {
                  LockSupport.park(); // keeps this thread, and so its team, alive
                }
              },
              "l2c-openmp-idle");
      t.setDaemon(true);
      t.start();
      return ready;
    }
  }

  private static ExecutorService newGate(int permits) {
    return Executors.newFixedThreadPool(
        permits,
        task -> {
          Thread t =
              new Thread(
                  () -> {
                    ON_GATE_THREAD.set(true);
                    Torch.inferenceMode();
                    task.run();
                  },
                  "l2c-model-call-" + THREADS.incrementAndGet());
          t.setDaemon(true);
          return t;
        });
  }
}
