package org.l2cbeam.pipelines.cli;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.not;
import static org.junit.Assert.assertEquals;

import java.nio.file.Files;
import java.util.List;
import org.junit.Rule;
import org.junit.Test;
import org.l2cbeam.pipelines.PipelineLauncher;

/** {@code l2c retrain}: the embedded default's loop; its defaults give way to options passed through. */
public class RetrainCommandTest {
  @Rule public CliRun cli = new CliRun();

  private String[] retrain(String out) {
    return CliRun.codeOutErr("retrain", "--registry", cli.path("routers").toString(), "--out", cli.path(out).toString(),
        "--sampling-steps", "4", "--iterations", "1", "--data-limit", "16", "--batch", "4", "--probe-count", "4",
        "--checkpoint-dir", cli.path("checkpoints").toString());
  }

  @Test
  public void twoRunsPublishOnceThenNothing() throws Exception {
    String[] first = retrain("run1");
    assertEquals(first[2], "0", first[0]);
    assertThat(first[1], containsString("# Router retraining: PUBLISHED"));
    assertThat(first[1], containsString("published v1 (the first version)"));
    String[] second = retrain("run2");
    assertEquals(second[2], "0", second[0]);
    assertThat(second[1], containsString("# Router retraining: UNCHANGED"));
    assertThat(second[1], containsString("the candidate is v1 itself"));
    assertThat(Files.readString(cli.path("run2").resolve("retrain-report.json")),
        containsString("\"decision\": \"UNCHANGED\""));
  }

  @Test
  public void badOptionsAreNamed() {
    String[] r = CliRun.codeOutErr("retrain", "--registry", cli.path("routers").toString(), "--out",
        cli.path("bad").toString(), "--probe-count", "1");
    assertThat(r[0], not("0"));
    assertThat(r[2], containsString("--probe-count"));
  }

  @Test
  public void optionNamesAreReadInEitherSpelling() {
    assertEquals(List.of("probeCount", "dataLimit", "runner"),
        PipelineLauncher.optionNames(List.of("--probe-count", "3", "--dataLimit=5", "--runner=DirectRunner")));
  }
}
