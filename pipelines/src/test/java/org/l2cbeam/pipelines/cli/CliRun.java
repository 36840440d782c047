package org.l2cbeam.pipelines.cli;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import org.junit.rules.ExternalResource;
import org.junit.rules.TemporaryFolder;
import org.l2cbeam.core.io.SafetensorsWriter;
import org.l2cbeam.core.io.TensorData;

/**
 * Runs the {@code l2c} command line in this JVM, capturing what it prints, for the CLI tests.
 * Declared as a {@code @Rule}, it also gives each test a temporary folder for the files the
 * commands read and write.
 */
final class CliRun extends ExternalResource {
  private final TemporaryFolder folder = new TemporaryFolder();

  @Override
  protected void before() throws Throwable {
    folder.create();
  }

  @Override
  protected void after() {
    folder.delete();
  }

  /**
   * {@code name} in this test's folder (not created: an output path, or one for {@link #write}).
   */
  Path path(String name) {
    return folder.getRoot().toPath().resolve(name);
  }

  /**
   * Writes {@code tensors} to the safetensors file {@code name} in this test's folder, for a
   * command to read.
   */
  Path write(String name, Map<String, TensorData> tensors) throws Exception {
    Path p = path(name);
    SafetensorsWriter.write(p, tensors);
    return p;
  }

  /** {exit code, stderr}, as {@link #codeErr}. */
  String[] run(String... args) {
    return codeErr(args);
  }

  /** {exit code, stdout, stderr}. */
  static String[] codeOutErr(String... args) {
    PrintStream out = System.out;
    PrintStream err = System.err;
    ByteArrayOutputStream o = new ByteArrayOutputStream();
    ByteArrayOutputStream e = new ByteArrayOutputStream();
    System.setOut(new PrintStream(o, true, StandardCharsets.UTF_8));
    System.setErr(new PrintStream(e, true, StandardCharsets.UTF_8));
    try {
      int code = L2c.execute(args);
      return new String[] {
        Integer.toString(code),
        o.toString(StandardCharsets.UTF_8),
        e.toString(StandardCharsets.UTF_8)
      };
    } finally {
      System.setOut(out);
      System.setErr(err);
    }
  }

  /** {exit code, stderr}; stdout goes where it goes. */
  static String[] codeErr(String... args) {
    PrintStream err = System.err;
    ByteArrayOutputStream e = new ByteArrayOutputStream();
    System.setErr(new PrintStream(e, true, StandardCharsets.UTF_8));
    try {
      int code = L2c.execute(args);
      return new String[] {Integer.toString(code), e.toString(StandardCharsets.UTF_8)};
    } finally {
      System.setErr(err);
    }
  }

  /** The run ({exit code, stderr}) succeeded; on failure the message shows its stderr. */
  static void assertOk(String[] codeErr) {
    assertEquals("exit code; stderr: " + codeErr[1], "0", codeErr[0]);
  }

  /**
   * The run ({exit code, stderr}) failed as bad input does (exit code 2), its stderr naming every
   * fragment.
   */
  static void assertFails(String[] codeErr, String... fragments) {
    assertEquals("exit code; stderr: " + codeErr[1], "2", codeErr[0]);
    for (String f : fragments) assertThat(codeErr[1], containsString(f));
  }

  /**
   * A tensor the command wrote matches the reference: max|expected − actual| / max|expected| ≤
   * {@code tol}, the vectors' tolerance rule (the figure is printed, so a run shows its margin). A
   * NaN or an infinity on either side fails whatever the tolerance.
   */
  static double assertClose(String what, float[] expected, float[] actual, double tol) {
    assertEquals(what + " length", expected.length, actual.length);
    double maxRef = 0;
    double maxDiff = 0;
    for (int i = 0; i < expected.length; i++) {
      if (!Float.isFinite(expected[i]) || !Float.isFinite(actual[i])) {
        throw new AssertionError(
            what + "[" + i + "]: expected " + expected[i] + ", got " + actual[i] + ": not finite");
      }
      maxRef = Math.max(maxRef, Math.abs(expected[i]));
      maxDiff = Math.max(maxDiff, Math.abs((double) expected[i] - actual[i]));
    }
    double rel = maxRef == 0 ? maxDiff : maxDiff / maxRef;
    System.out.printf("cli parity %-30s rel.err %.3e%n", what, rel);
    assertTrue(what + ": relative error " + rel + " > " + tol, rel <= tol);
    return rel;
  }

  /**
   * {@link #assertClose} on a trajectory of {@code steps} stacked rows, each row against its own
   * max|expected|.
   */
  static void assertStepsClose(
      String what, float[] expected, float[] actual, int steps, double tol) {
    assertEquals(what + " length", expected.length, actual.length);
    assertEquals(
        what + ": " + expected.length + " values in " + steps + " steps",
        0,
        expected.length % steps);
    int per = expected.length / steps;
    for (int s = 0; s < steps; s++) {
      assertClose(
          what + " step " + s,
          Arrays.copyOfRange(expected, s * per, (s + 1) * per),
          Arrays.copyOfRange(actual, s * per, (s + 1) * per),
          tol);
    }
  }
}
