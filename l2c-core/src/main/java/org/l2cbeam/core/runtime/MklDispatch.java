package org.l2cbeam.core.runtime;

import com.sun.jna.Library;
import com.sun.jna.NativeLibrary;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Lets the MKL inside libtorch choose its kernels by what the CPU can do, not by who made it.
 *
 * <p>Why: MKL asks {@code mkl_serv_intel_cpu_true()} before it looks at the CPU's features, and on
 * an AMD CPU that answer is 0, so MKL stays on its generic code path. On the project's 2-core AMD
 * Zen 5 VM that runs fp32 GEMMs at 175–200 GFLOP/s instead of the 375–415 GFLOP/s of its AVX-512
 * kernels. Our oneDNN kernels do not depend on MKL, but everything else that multiplies matrices
 * does: the fused attention inside every transformer block, the adaLN and embedding linears, the
 * {@code plain} kernel path, autograd in router training, and the VAE's attention.
 *
 * <p>How: libtorch exports that function and calls it through its procedure linkage table, so the
 * first definition in the process's global symbol scope wins. Before the engine starts, {@link
 * #installOnce()} loads, with {@code RTLD_GLOBAL}, a six-byte library that defines it to return 1
 * ({@link ConstantFunctionLibrary}, written by this project, so no C compiler is needed anywhere).
 * MKL then still reads the CPU's feature flags and takes the widest instruction set the CPU has:
 * AVX-512 on Zen 4 and 5, AVX2 on older AMD CPUs. The results are the same to fp32 rounding as
 * oneDNN's (max relative difference 1e-7 to 1e-6 in the project's probe), and every parity test
 * runs with it. It is done only on Linux x86-64 AMD CPUs; on Intel CPUs MKL already answers 1.
 *
 * <p>{@code L2C_MKL_VENDOR_CHECK=keep} in the environment or {@code -Dl2c.mkl.vendorCheck=keep}
 * leaves MKL as it is.
 */
public final class MklDispatch {
  private static final Logger LOG = LoggerFactory.getLogger(MklDispatch.class);

  static final String VENDOR_CHECK = "mkl_serv_intel_cpu_true";
  static final String KEEP_ENVIRONMENT = "L2C_MKL_VENDOR_CHECK";
  static final String KEEP_PROPERTY = "l2c.mkl.vendorCheck";
  private static final int RTLD_NOW_GLOBAL = 0x2 | 0x100;

  /** Held so that JNA never unloads the library while libtorch may call into it. */
  private static NativeLibrary vendorCheck;

  private MklDispatch() {}

  /** Whether this process asked to keep MKL's vendor check. */
  static boolean kept() {
    return "keep".equals(System.getenv(KEEP_ENVIRONMENT))
        || "keep".equals(System.getProperty(KEEP_PROPERTY));
  }

  /**
   * Installs the vendor answer once per JVM, on Linux x86-64 AMD CPUs; {@link Torch} calls it
   * before the engine.
   */
  static synchronized void installOnce() {
    if (vendorCheck != null || kept() || !cpuVendor().equals(Optional.of("AuthenticAMD"))) return;
    String arch = System.getProperty("os.arch", "");
    if (!arch.equals("amd64") && !arch.equals("x86_64")) return;
    Path library = null;
    try {
      library = Files.createTempFile("l2c-mkl-vendor-", ".so");
      Files.write(library, ConstantFunctionLibrary.exporting(VENDOR_CHECK, 1));
      vendorCheck =
          NativeLibrary.getInstance(
              library.toString(), Map.of(Library.OPTION_OPEN_FLAGS, RTLD_NOW_GLOBAL));
    } catch (IOException | UnsatisfiedLinkError e) {
      LOG.warn(
          "MKL keeps its generic kernels on this AMD CPU (fp32 matrix products outside oneDNN about 2x slower): could"
              + " not load the vendor answer from {}: {}",
          library,
          e.getMessage());
    } finally {
      // The loader has mapped it (or failed); the file itself is no longer needed.
      if (library != null) {
        try {
          Files.deleteIfExists(library);
        } catch (IOException ignored) {
          // a leftover temp file of 4 KiB; nothing depends on it
        }
      }
    }
  }

  /**
   * The instruction set MKL dispatches to in this process, for benchmark reports, e.g. "AVX512_E1"
   * or "COMPATIBLE"; with " (vendor check kept)" when asked to. Starts the engine.
   */
  public static String describe() {
    Torch.engine();
    Optional<Path> torch = loadedLibrary("libtorch_cpu.so");
    if (torch.isEmpty()) return "unknown (libtorch_cpu.so not mapped)";
    int branch;
    try {
      branch =
          NativeLibrary.getInstance(torch.get().toString())
              .getFunction("mkl_serv_cbwr_get_auto_branch")
              .invokeInt(new Object[0]);
    } catch (UnsatisfiedLinkError e) {
      return "unknown (" + e.getMessage() + ")";
    }
    return branchName(branch) + (kept() ? " (vendor check kept)" : "");
  }

  /**
   * MKL's names for its code branches ({@code MKL_CBWR_*} in {@code mkl_cbwr.h}). MKL answers 2
   * ({@code AUTO}) when it has not recognised the CPU, which is what an AMD CPU gets without {@link
   * #installOnce()}.
   */
  static String branchName(int branch) {
    return switch (branch) {
      case 2 -> "generic (CPU not recognised)";
      case 3 -> "COMPATIBLE";
      case 4 -> "SSE2";
      case 6 -> "SSSE3";
      case 7 -> "SSE4_1";
      case 8 -> "SSE4_2";
      case 9 -> "AVX";
      case 10 -> "AVX2";
      case 12 -> "AVX512";
      case 14 -> "AVX512_E1";
      default -> "branch " + branch;
    };
  }

  static Optional<String> cpuVendor() {
    try (Stream<String> lines = Files.lines(Path.of("/proc/cpuinfo"))) {
      return lines
          .filter(l -> l.startsWith("vendor_id"))
          .map(l -> l.substring(l.indexOf(':') + 1).trim())
          .findFirst();
    } catch (IOException | RuntimeException e) {
      return Optional.empty();
    }
  }

  static Optional<Path> loadedLibrary(String fileName) {
    try (Stream<String> lines = Files.lines(Path.of("/proc/self/maps"))) {
      return lines
          .map(l -> l.substring(l.lastIndexOf(' ') + 1))
          .filter(p -> p.endsWith("/" + fileName))
          .findFirst()
          .map(Path::of);
    } catch (IOException | RuntimeException e) {
      return Optional.empty();
    }
  }
}
