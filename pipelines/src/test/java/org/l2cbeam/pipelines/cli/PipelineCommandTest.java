package org.l2cbeam.pipelines.cli;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.junit.Assert.assertEquals;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.apache.beam.sdk.PipelineResult;
import org.junit.Rule;
import org.junit.Test;

/**
 * {@code l2c pipeline NAME}: the final state and every metric on stdout, and a non-zero exit unless
 * DONE.
 */
public class PipelineCommandTest {
  @Rule public CliRun cli = new CliRun();

  @Test
  public void printsTheFinalStateCountersAndDistributions() {
    String[] r =
        CliRun.codeOutErr(
            "pipeline",
            "sample",
            "--labels",
            "0,1",
            "--seeds",
            "0",
            "--steps",
            "2",
            "--output",
            cli.path("out").toString());
    assertEquals(r[2], "0", r[0]);
    assertThat(r[1], containsString("[sample] pipeline DONE after"));
    assertThat(r[1], containsString("  CachedSample.images = 2\n"));
    assertThat(r[1], containsString("  CachedSample.batchMillis = count 1, mean "));
    assertThat(r[1], containsString("  LoadModel.checkpointsValidated = 1\n"));
  }

  @Test
  public void anEndOtherThanDoneExitsNonZeroAndSaysHow() {
    PrintStream saved = System.err;
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
    try {
      assertEquals(0, PipelineCommand.exitCode("sample", PipelineResult.State.DONE));
      assertEquals(1, PipelineCommand.exitCode("sample", PipelineResult.State.CANCELLED));
      assertEquals(1, PipelineCommand.exitCode("sample", PipelineResult.State.FAILED));
    } finally {
      System.setErr(saved);
    }
    assertThat(
        err.toString(StandardCharsets.UTF_8),
        containsString("l2c pipeline sample: the pipeline ended CANCELLED, not DONE"));
  }
}
