package org.l2cbeam.pipelines.cli;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.not;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNotEquals;
import static org.junit.Assert.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.Rule;
import org.junit.Test;
import org.l2cbeam.pipelines.PipelineLauncher;
import org.l2cbeam.registry.RouterKey;
import org.l2cbeam.registry.RouterRegistry;
import org.l2cbeam.registry.VersionManifest;
import org.l2cbeam.registry.WarmStartOrigin;

/**
 * {@code l2c retrain}: the embedded default's loop; its defaults give way to options passed
 * through.
 */
public class RetrainCommandTest {
  @Rule public CliRun cli = new CliRun();

  private String[] retrain(String out, String... extra) {
    List<String> args =
        new ArrayList<>(
            List.of(
                "retrain",
                "--registry",
                cli.path("routers").toString(),
                "--out",
                cli.path(out).toString(),
                "--sampling-steps",
                "4",
                "--iterations",
                "1",
                "--data-limit",
                "16",
                "--batch",
                "4",
                "--probe-count",
                "4",
                "--checkpoint-dir",
                cli.path("checkpoints").toString()));
    args.addAll(List.of(extra));
    return CliRun.codeOutErr(args.toArray(new String[0]));
  }

  @Test
  public void twoRunsPublishOnceThenNothingAndAWarmStartContinuesTheLatest() throws Exception {
    String[] first = retrain("run1");
    assertEquals(first[2], "0", first[0]);
    assertThat(first[1], containsString("# Router retraining: PUBLISHED"));
    assertThat(first[1], containsString("published v1 (the first version)"));
    assertThat(first[1], containsString("Candidate trained from the seed's routers."));
    String[] second = retrain("run2");
    assertEquals(second[2], "0", second[0]);
    assertThat(second[1], containsString("# Router retraining: UNCHANGED"));
    assertThat(second[1], containsString("the candidate is v1 itself"));
    assertThat(
        Files.readString(cli.path("run2").resolve("retrain-report.json")),
        containsString("\"decision\": \"UNCHANGED\""));

    // The same run warm-started: training now begins at v1's logits instead of the seed's (which
    // gave v1 itself), so
    // the candidate is another router; the gate is opened wide to publish it, and its manifest
    // names v1.
    String[] third = retrain("run3", "--warm-start", "--tolerance", "1e9");
    assertEquals(third[2], "0", third[0]);
    assertThat(third[1], containsString("# Router retraining: PUBLISHED"));
    assertThat(third[1], containsString("Candidate trained from v1 (warm start)."));
    JsonObject report =
        JsonParser.parseString(Files.readString(cli.path("run3").resolve("retrain-report.json")))
            .getAsJsonObject();
    assertEquals(2, report.get("version").getAsInt());
    assertEquals(
        1,
        report.getAsJsonObject("candidate").getAsJsonObject("warmStart").get("version").getAsInt());
    RouterRegistry registry = RouterRegistry.open(cli.path("routers").toString());
    RouterKey key =
        new RouterKey(report.getAsJsonObject("key").get("modelSha256").getAsString(), "ddim", 4);
    VersionManifest v1 = registry.get(key, 1).manifest();
    VersionManifest v2 = registry.get(key, 2).manifest();
    assertTrue("v1 was trained from the seed", v1.warmStart().isEmpty());
    WarmStartOrigin origin = v2.warmStart().orElseThrow();
    assertEquals(1, origin.version());
    assertEquals(v1.routerSha256(), origin.routerSha256());
    assertEquals(1, v2.parentVersion());
    assertNotEquals(v1.routerSha256(), v2.routerSha256());

    // A corrupt pointer stops the next run before anything is published, naming the object.
    Path pointer = cli.path("routers").resolve(key.folder()).resolve("latest.json");
    Files.writeString(pointer, "{\"format\": \"l2c-router-lat");
    List<String> before;
    try (Stream<Path> files = Files.walk(cli.path("routers"))) {
      before = files.map(Path::toString).sorted().collect(Collectors.toList());
    }
    String[] fourth = retrain("run4", "--warm-start");
    assertNotEquals("0", fourth[0]);
    assertThat(fourth[2], containsString(pointer.toString()));
    try (Stream<Path> files = Files.walk(cli.path("routers"))) {
      assertEquals(before, files.map(Path::toString).sorted().collect(Collectors.toList()));
    }
    assertFalse(
        "no report of a run that failed",
        Files.exists(cli.path("run4").resolve("retrain-report.json")));
  }

  @Test
  public void badOptionsAreNamed() {
    String[] r =
        CliRun.codeOutErr(
            "retrain",
            "--registry",
            cli.path("routers").toString(),
            "--out",
            cli.path("bad").toString(),
            "--probe-count",
            "1");
    assertThat(r[0], not("0"));
    assertThat(r[2], containsString("--probe-count"));
  }

  @Test
  public void optionNamesAreReadInEitherSpelling() {
    assertEquals(
        List.of("probeCount", "dataLimit", "runner"),
        PipelineLauncher.optionNames(
            List.of("--probe-count", "3", "--dataLimit=5", "--runner=DirectRunner")));
  }
}
