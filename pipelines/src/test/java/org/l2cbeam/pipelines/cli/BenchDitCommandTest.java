package org.l2cbeam.pipelines.cli;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.junit.Assert.assertEquals;

import org.junit.Test;

/** {@code l2c bench dit} option errors (the benchmark itself prints figures and is not run by tests). */
public class BenchDitCommandTest {
  @Test
  public void ddimRunsBelowOneIsAnErrorNamingTheOption() {
    String[] r = CliRun.codeOutErr("bench", "dit", "--ddim-runs", "0");
    assertEquals("2", r[0]);
    assertThat(r[2], containsString("l2c: error: --ddim-runs must be at least 1, got 0"));
  }

  @Test
  public void runsBelowOneIsAnErrorNamingTheOption() {
    String[] r = CliRun.codeOutErr("bench", "dit", "--runs", "0");
    assertEquals("2", r[0]);
    assertThat(r[2], containsString("l2c: error: --runs must be at least 1, got 0"));
  }

  @Test
  public void anUnknownModelSizeIsAnErrorNamingTheOption() {
    String[] r = CliRun.codeOutErr("bench", "dit", "--model", "q");
    assertEquals("2", r[0]);
    assertThat(r[2], containsString("l2c: error: --model"));
  }
}
