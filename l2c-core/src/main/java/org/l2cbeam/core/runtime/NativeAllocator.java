package org.l2cbeam.core.runtime;

import java.util.Locale;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The glibc malloc settings under which libtorch's large tensors are cheap to allocate, and a
 * one-time check that the process was started with them.
 *
 * <p>Why this matters: every op returns a new tensor, and a conv network allocates and frees
 * activations of 2–67 MB many times per image. glibc serves such sizes with a fresh {@code mmap}
 * and returns them on free, so each one page-faults again, 4 KiB at a time; in a VM every fault
 * costs microseconds, and a 33 MB tensor costs more to fault in than a 3×3 conv takes to fill it.
 * Measured on the project's 2-core Zen 5 VM (2026-12-04, idle): one VAE decode of a 256² image 6.06
 * s by default, 2.55–2.96 s with {@link #TUNABLES}; Inception 3.1 → 7.1 images/s; the Fashion-MNIST
 * feature net 1 193 → 4 216 images/s. The transformer forwards barely change (their activations are
 * small).
 *
 * <p>What each setting does: {@code hugetlb=1} asks for transparent huge pages on malloc's mappings
 * (2 MiB per fault instead of 4 KiB, where the kernel's THP mode is {@code madvise}); {@code
 * mmap_threshold=32 MiB} keeps tensors up to that size in malloc's heap, reused from free to
 * allocation without faulting; {@code trim_threshold=512 MiB} lets the heap keep up to that much
 * free memory at its top instead of handing it back after every op; {@code arena_max=2} makes all
 * threads share two heaps, so memory a released model freed on one thread is reused by the next
 * load on another (with one arena per thread, RSS grew by about a model's size on every
 * load/release cycle; with two it plateaus, see {@code l2c bench release}).
 *
 * <p>glibc reads these only at process start, so they cannot be applied from Java: the {@code l2c}
 * launcher, the test runs and the template images set them, and any other JVM gets one log line
 * saying how.
 */
public final class NativeAllocator {
  private static final Logger LOG = LoggerFactory.getLogger(NativeAllocator.class);

  /** The value for the {@code GLIBC_TUNABLES} environment variable. */
  public static final String TUNABLES =
      "glibc.malloc.hugetlb=1:glibc.malloc.mmap_threshold=33554432:glibc.malloc.trim_threshold=536870912"
          + ":glibc.malloc.arena_max=2";

  private NativeAllocator() {}

  /**
   * True if {@code environment}'s {@code GLIBC_TUNABLES} sets a malloc mmap threshold or huge
   * pages.
   */
  static boolean isTuned(Map<String, String> environment) {
    String tunables = environment.getOrDefault("GLIBC_TUNABLES", "");
    return tunables.contains("glibc.malloc.hugetlb")
        || tunables.contains("glibc.malloc.mmap_threshold");
  }

  /**
   * What this process runs with, for benchmark reports: "tuned", "tuned (release mode)" or "glibc
   * defaults".
   */
  public static String describe() {
    if (!isTuned(System.getenv())) return "glibc defaults";
    return System.getenv("GLIBC_TUNABLES").contains("glibc.malloc.mmap_threshold=131072")
        ? "tuned (release mode)"
        : "tuned";
  }

  /**
   * Logs, on Linux, if the process runs with glibc's default malloc settings; {@link Torch}'s
   * initializer calls it.
   */
  static void checkOnce() {
    if (!System.getProperty("os.name", "").toLowerCase(Locale.ROOT).contains("linux")) return;
    if (isTuned(System.getenv())) return;
    LOG.info(
        "glibc malloc runs with its defaults: large tensors page-fault on every allocation, which makes convs (VAE"
            + " decode, FID features) 2-3.5x slower on VMs. Start the JVM with GLIBC_TUNABLES={} (the l2c launcher"
            + " does; see NativeAllocator).",
        TUNABLES);
  }
}
