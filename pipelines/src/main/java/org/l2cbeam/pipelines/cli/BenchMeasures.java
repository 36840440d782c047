package org.l2cbeam.pipelines.cli;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.io.IOException;
import java.io.InputStream;
import java.lang.management.ManagementFactory;
import java.lang.management.OperatingSystemMXBean;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Arrays;
import java.util.Locale;
import java.util.Map;
import org.l2cbeam.core.model.ModelExecution;
import org.l2cbeam.core.model.PackedGemmRate;
import org.l2cbeam.core.runtime.MklDispatch;
import org.l2cbeam.core.runtime.NativeAllocator;

/**
 * The measurements every {@code l2c bench} command takes the same way, so that their figures
 * compare: the machine's dense matmul rate, process CPU time, resident memory, medians, and A/B
 * timings alternated ABBA.
 */
final class BenchMeasures {
  private BenchMeasures() {}

  /** {wall seconds, process CPU seconds} of one timed run. */
  @FunctionalInterface
  interface TimedRun {
    double[] run() throws Exception;
  }

  /**
   * 1024³ fp32 matmul GFLOP/s, the median of 20 after 3 warm-ups: the dense rate a forward is
   * compared against.
   */
  static double matmulGflops(NDManager root) {
    try (NDManager m = root.newSubManager()) {
      NDArray a = m.randomNormal(new Shape(1024, 1024));
      NDArray b = m.randomNormal(new Shape(1024, 1024));
      double[] t = new double[20];
      for (int i = -3; i < t.length; i++) {
        try (NDManager s = m.newSubManager()) {
          long t0 = System.nanoTime();
          NDArray c = a.matMul(b);
          c.attach(s);
          c.getFloat(0, 0);
          if (i >= 0) t[i] = (System.nanoTime() - t0) / 1e9;
        }
      }
      return 2.0 * 1024 * 1024 * 1024 / median(t) / 1e9;
    }
  }

  /**
   * CPU seconds of the whole process, libtorch's native threads included: a figure that other jobs
   * sharing the cores disturb far less than wall time. NaN on a JVM without the com.sun extension.
   */
  static double processCpuSeconds() {
    OperatingSystemMXBean os = ManagementFactory.getOperatingSystemMXBean();
    return os instanceof com.sun.management.OperatingSystemMXBean
        ? ((com.sun.management.OperatingSystemMXBean) os).getProcessCpuTime() / 1e9
        : Double.NaN;
  }

  /**
   * The Linux thread-name prefix of the model-call gate's threads (15 characters: all Linux keeps
   * of a name).
   */
  static final String MODEL_CALL_THREADS = "l2c-model-call-";

  /**
   * CPU seconds of this process's live threads whose Linux name starts with {@code prefix}
   * (/proc/self/task/N/stat). Native threads inherit their creator's name, so libtorch's OpenMP
   * workers count with the thread that made them. NaN where /proc is missing.
   */
  static double threadCpuSeconds(String prefix) {
    Path tasks = Path.of("/proc/self/task");
    if (!Files.isDirectory(tasks)) return Double.NaN;
    long ticks = 0;
    try (var threads = Files.list(tasks)) {
      for (Path t : (Iterable<Path>) threads::iterator) {
        String stat;
        try {
          stat = Files.readString(t.resolve("stat"));
        } catch (IOException e) {
          continue; // the thread ended meanwhile
        }
        int close = stat.lastIndexOf(')');
        if (!stat.substring(stat.indexOf('(') + 1, close).startsWith(prefix)) continue;
        String[] f = stat.substring(close + 2).split(" ");
        ticks +=
            Long.parseLong(f[11])
                + Long.parseLong(f[12]); // utime, stime (fields 14 and 15 of stat)
      }
    } catch (IOException e) {
      return Double.NaN;
    }
    return ticks / 100.0; // USER_HZ is 100 on every Linux the JDK runs on
  }

  /**
   * A kB field of /proc/self/status (VmRSS: resident now, VmHWM: peak) in bytes. Native tensors
   * live outside the Java heap, so the process figure is the one that matters.
   */
  static double procStatusBytes(String field) throws IOException {
    for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
      if (line.startsWith(field)) return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024.0;
    }
    throw new IOException(
        "no " + field + " in /proc/self/status (memory is measured on Linux only)");
  }

  /**
   * {{A wall s, A CPU s}, {B wall s, B CPU s}}, each the mean of {@code rounds} runs done in the
   * order A, B, B, A, A, B, ... (ABBA), which cancels a machine load that drifts linearly during
   * the benchmark. With more than one round, each run is printed as {@code " <label> <name> run
   * <i>: ..."} (no label if it is empty).
   */
  static double[][] alternated(
      int rounds, String label, String nameA, TimedRun a, String nameB, TimedRun b)
      throws Exception {
    double[][] mean = new double[2][2];
    for (int round = 0; round < rounds; round++) {
      for (int i = 0; i < 2; i++) {
        int variant = (i + round) % 2;
        double[] t = variant == 0 ? a.run() : b.run();
        if (rounds > 1) {
          System.out.printf(
              Locale.ROOT,
              "  %s%s run %d: %.2f s (%.2f CPU-s)%n",
              label.isEmpty() ? "" : label + " ",
              variant == 0 ? nameA : nameB,
              round + 1,
              t[0],
              t[1]);
        }
        mean[variant][0] += t[0] / rounds;
        mean[variant][1] += t[1] / rounds;
      }
    }
    return mean;
  }

  /**
   * Prints the forward line every model bench shares and records {@code forward_ms_median}, {@code
   * forward_gflops}, {@code matmul_gflops}, {@code gemm_gflops}, {@code forward_vs_gemm}, {@code
   * forward_vs_matmul}, {@code kernels}, {@code precision} and {@code forward_cpu_s}.
   *
   * @param forward {median wall ms, median process CPU seconds} of one forward
   * @param flopPerForward FLOP of one forward call (2 per MAC, times the images in the call)
   * @param gemmGflops the rate of the model's own block GEMMs on its kernels ({@code
   *     PackedGemmRate}), same run
   * @param execution the kernels and precision that ran
   */
  static void reportForward(
      Map<String, Object> json,
      double[] forward,
      int runs,
      double flopPerForward,
      double gmacPerImage,
      double matmulGflops,
      double gemmGflops,
      ModelExecution execution) {
    double gflops = flopPerForward / (forward[0] / 1e3) / 1e9;
    System.out.printf(
        Locale.ROOT,
        "forward (%s): median %.1f ms over %d runs, %.1f GFLOP/s (%.1f GMAC per image),"
            + " %.2f of the block-GEMM rate (%.1f GFLOP/s), %.2f of the 1024^3 matmul rate; %.2f CPU-s per forward = %.1f"
            + " GFLOP per CPU-second%n",
        execution,
        forward[0],
        runs,
        gflops,
        gmacPerImage,
        gflops / gemmGflops,
        gemmGflops,
        gflops / matmulGflops,
        forward[1],
        flopPerForward / forward[1] / 1e9);
    json.put("kernels", execution.kernels().cliName());
    json.put("precision", execution.precision().cliName());
    json.put("allocator", NativeAllocator.describe());
    json.put("mkl", MklDispatch.describe());
    json.put("forward_ms_median", round(forward[0]));
    json.put("forward_gflops", round(gflops));
    json.put("gemm_gflops", round(gemmGflops));
    json.put("forward_vs_gemm", round(gflops / gemmGflops));
    json.put("matmul_gflops", round(matmulGflops));
    json.put("forward_vs_matmul", round(gflops / matmulGflops));
    json.put("forward_cpu_s", round(forward[1]));
  }

  /**
   * The block-GEMM rate of {@code execution} at a model's width and rows, printed as it is
   * measured.
   */
  static double gemmGflops(int hidden, int mlpHidden, int rows, ModelExecution execution) {
    double g = PackedGemmRate.gflops(hidden, mlpHidden, rows, execution, 9);
    System.out.printf(
        Locale.ROOT,
        "block GEMMs (%s, %d rows, width %d, MLP %d): %.1f GFLOP/s%n",
        execution,
        rows,
        hidden,
        mlpHidden,
        g);
    return g;
  }

  /**
   * Prints the CPU-time view of a plain/router comparison and records {@code <sampling>_s}, {@code
   * <sampling>_router_s}, {@code speedup}, {@code theoretical_speedup}, {@code <sampling>_cpu_s},
   * {@code <sampling>_router_cpu_s} and {@code speedup_cpu}.
   *
   * @param plain {wall s, CPU s} of the plain sampler, as {@link #alternated} returns them;
   *     likewise {@code routed}
   */
  static void reportSpeedup(
      Map<String, Object> json,
      String sampling,
      double[] plain,
      double[] routed,
      double theoretical) {
    System.out.printf(
        Locale.ROOT,
        "  by CPU time: %.2f vs %.2f CPU-s, speedup %.3f%n",
        plain[1],
        routed[1],
        plain[1] / routed[1]);
    json.put(sampling + "_s", round(plain[0]));
    json.put(sampling + "_router_s", round(routed[0]));
    json.put("speedup", round(plain[0] / routed[0]));
    json.put("theoretical_speedup", round(theoretical));
    json.put(sampling + "_cpu_s", round(plain[1]));
    json.put(sampling + "_router_cpu_s", round(routed[1]));
    json.put("speedup_cpu", round(plain[1] / routed[1]));
  }

  /** A classpath resource (a bundled router) copied to a temporary file that is deleted on exit. */
  static Path resourceFile(String resource) throws IOException {
    String name = resource.substring(resource.lastIndexOf('/') + 1);
    Path tmp = Files.createTempFile("l2c-bench-", "-" + name);
    tmp.toFile().deleteOnExit();
    try (InputStream in = BenchMeasures.class.getClassLoader().getResourceAsStream(resource)) {
      if (in == null) throw new IllegalStateException("missing classpath resource " + resource);
      Files.copy(in, tmp, StandardCopyOption.REPLACE_EXISTING);
    }
    return tmp;
  }

  static double median(double[] v) {
    double[] s = v.clone();
    Arrays.sort(s);
    return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
  }

  /** Four decimals, the precision of the JSON lines. */
  static double round(double v) {
    return Math.round(v * 1e4) / 1e4;
  }
}
