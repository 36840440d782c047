package org.l2cbeam.core.runtime;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.startsWith;
import static org.junit.Assume.assumeFalse;
import static org.junit.Assume.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.Test;

/**
 * MKL takes the widest instruction set the CPU has, whoever made the CPU. Without {@link
 * MklDispatch} this fails on AMD CPUs (MKL answers "generic"); on Intel CPUs it holds anyway.
 */
public class MklDispatchTest {
  @Test
  public void mklUsesTheWidestInstructionSetTheCpuHas() throws IOException {
    assumeTrue(ConstantFunctionLibraryTest.isLinuxX8664());
    assumeFalse("the vendor check was kept on purpose", MklDispatch.kept());
    String flags =
        cpuFlags().orElseThrow(() -> new AssertionError("no flags line in /proc/cpuinfo"));
    String mkl = MklDispatch.describe();
    if (flags.contains(" avx512f ")
        && flags.contains(" avx512bw ")
        && flags.contains(" avx512vl ")) {
      assertThat(MklDispatch.cpuVendor() + " CPU with AVX-512", mkl, startsWith("AVX512"));
    } else if (flags.contains(" avx2 ")) {
      assertThat(MklDispatch.cpuVendor() + " CPU with AVX2", mkl, startsWith("AVX2"));
    }
  }

  private static Optional<String> cpuFlags() throws IOException {
    try (Stream<String> lines = Files.lines(Path.of("/proc/cpuinfo"))) {
      return lines
          .filter(l -> l.startsWith("flags"))
          .map(l -> l.substring(l.indexOf(':') + 1) + " ")
          .findFirst();
    }
  }
}
