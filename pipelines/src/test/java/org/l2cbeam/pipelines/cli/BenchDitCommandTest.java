package org.l2cbeam.pipelines.cli;

import static org.l2cbeam.pipelines.cli.CliRun.assertFails;
import static org.l2cbeam.pipelines.cli.CliRun.codeErr;

import org.junit.Test;

/**
 * {@code l2c bench dit} option errors (the benchmark itself prints figures and is not run by
 * tests).
 */
public class BenchDitCommandTest {
  @Test
  public void ddimRunsBelowOneIsAnErrorNamingTheOption() {
    assertFails(
        codeErr("bench", "dit", "--ddim-runs", "0"),
        "l2c: error: --ddim-runs must be at least 1, got 0");
  }

  @Test
  public void runsBelowOneIsAnErrorNamingTheOption() {
    assertFails(
        codeErr("bench", "dit", "--runs", "0"), "l2c: error: --runs must be at least 1, got 0");
  }

  @Test
  public void anUnknownModelSizeIsAnErrorNamingTheOption() {
    assertFails(codeErr("bench", "dit", "--model", "q"), "l2c: error: --model");
  }
}
