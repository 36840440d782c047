package org.l2cbeam.pipelines.cli;

import static org.l2cbeam.pipelines.cli.CliRun.assertFails;
import static org.l2cbeam.pipelines.cli.CliRun.codeErr;

import org.junit.Test;

/**
 * {@code l2c bench uvit} option errors (the benchmark itself prints figures and is not run by
 * tests).
 */
public class BenchUViTCommandTest {
  @Test
  public void samplingRunsBelowOneIsAnErrorNamingTheOption() {
    assertFails(
        codeErr("bench", "uvit", "--sampling-runs", "0"),
        "l2c: error: --sampling-runs must be at least 1, got 0");
  }

  @Test
  public void anUnknownModelSizeIsAnErrorNamingTheOption() {
    assertFails(
        codeErr("bench", "uvit", "--model", "q"),
        "l2c: error: --model must be h, l, m or s, got 'q'");
  }
}
