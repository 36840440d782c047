package org.l2cbeam.core.runtime;

import ai.djl.training.GradientCollector;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Function;

/**
 * The JVM's one gradient collector. DJL's PyTorch collector is a JVM-wide singleton (a static flag;
 * a second one throws {@code IllegalStateException}), so every trainer in the process takes its
 * turn here: two Beam threads that train routers in one worker JVM are serialised instead of
 * failing.
 *
 * <p>Inside the collector, never use DJL's {@code Number} overloads ({@code x.mul(3f)}): they free
 * their scalar tensor before backward runs, which silently corrupts gradients after a GC (the JVM
 * frees it while libtorch's graph still points at it). Use scalar NDArrays that live until the
 * collector is closed.
 */
public final class Autograd {
  private static final ReentrantLock COLLECTOR = new ReentrantLock(true);

  private Autograd() {}

  /**
   * Runs {@code body} with the JVM's gradient collector open (grad mode on for this thread),
   * waiting for any other thread that holds it. Grad mode is restored when the collector closes.
   */
  public static <T> T withCollector(Function<GradientCollector, T> body) {
    COLLECTOR.lock();
    try (GradientCollector collector = Torch.engine().newGradientCollector()) {
      return body.apply(collector);
    } finally {
      COLLECTOR.unlock();
    }
  }
}
