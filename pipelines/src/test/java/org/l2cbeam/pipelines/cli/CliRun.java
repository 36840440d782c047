package org.l2cbeam.pipelines.cli;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

/** Runs the {@code l2c} command line in this JVM, capturing what it prints, for the CLI tests. */
final class CliRun {
  private CliRun() {}

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
      return new String[] {Integer.toString(code), o.toString(StandardCharsets.UTF_8), e.toString(StandardCharsets.UTF_8)};
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
}
