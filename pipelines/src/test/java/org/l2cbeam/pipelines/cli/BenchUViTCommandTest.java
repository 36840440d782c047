package org.l2cbeam.pipelines.cli;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.junit.Assert.assertEquals;

import org.junit.Test;

/** {@code l2c bench uvit} option errors (the benchmark itself prints figures and is not run by tests). */
public class BenchUViTCommandTest {
  @Test
  public void samplingRunsBelowOneIsAnErrorNamingTheOption() {
    String[] r = CliRun.codeOutErr("bench", "uvit", "--sampling-runs", "0");
    assertEquals("2", r[0]);
    assertThat(r[2], containsString("l2c: error: --sampling-runs must be at least 1, got 0"));
  }

  @Test
  public void anUnknownModelSizeIsAnErrorNamingTheOption() {
    String[] r = CliRun.codeOutErr("bench", "uvit", "--model", "q");
    assertEquals("2", r[0]);
    assertThat(r[2], containsString("l2c: error: --model must be h, l, m or s, got 'q'"));
  }
}
