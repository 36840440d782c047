package org.l2cbeam.test;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.closeTo;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.greaterThan;
import static org.junit.Assert.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.ClassRule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;
import org.l2cbeam.pipelines.PipelineLauncher;
import org.l2cbeam.registry.RegistryEntry;
import org.l2cbeam.registry.RouterKey;
import org.l2cbeam.registry.RouterRegistry;

/**
 * The retrain pipeline end to end on the test runner (DirectRunner, then embedded Flink) with a
 * local registry: the first run publishes v1, the same run again publishes nothing, and a
 * deliberately worse candidate (λ so large that training only pushes every unit towards "reuse",
 * whatever it costs) is rejected by the gate.
 */
public class RetrainPipelineIT {
  @ClassRule public static final TemporaryFolder TMP = new TemporaryFolder();

  private static JsonObject run(Path registry, Path out, Path checkpoints, String... extra)
      throws Exception {
    List<String> args = new ArrayList<>(TestRunner.args());
    args.addAll(
        List.of(
            "--model=builtin:fmnist-dit",
            "--data=builtin:fashion-mnist",
            "--dataLimit=128",
            "--samplingSteps=10",
            "--iterations=3",
            "--lr=5e-2",
            "--batch=8",
            "--probeMacsRemoved=0.3",
            "--probeCount=20",
            "--checkpointDir=" + checkpoints,
            "--registry=" + registry,
            "--output=" + out));
    args.addAll(List.of(extra));
    PipelineLauncher.run("retrain", args);
    assertTrue("success marker", Files.exists(out.resolve("_SUCCESS")));
    assertThat(
        Files.readString(out.resolve("retrain-report.md")),
        containsString("# Router retraining: "));
    return JsonParser.parseString(Files.readString(out.resolve("retrain-report.json")))
        .getAsJsonObject();
  }

  @Test
  public void publishesOnceThenNothingThenRejectsAWorseCandidate() throws Exception {
    Path registryDir = TMP.newFolder("registry").toPath();
    Path checkpoints = TMP.newFolder("checkpoints").toPath();
    RouterRegistry registry = RouterRegistry.open(registryDir.toString());
    JsonObject first = run(registryDir, TMP.newFolder("run1").toPath(), checkpoints);
    RouterKey key =
        new RouterKey(first.getAsJsonObject("key").get("modelSha256").getAsString(), "ddim", 10);
    assertThat(first.toString(), first.get("decision").getAsString(), equalTo("PUBLISHED"));
    assertThat(first.get("version").getAsInt(), equalTo(1));
    assertTrue(first.getAsJsonObject("current").get("version").isJsonNull());
    assertThat(registry.latest(key).orElseThrow().version(), equalTo(1));
    assertThat(
        registry.get(key, 1).manifest().metric("fid").getAsDouble(),
        equalTo(first.getAsJsonObject("candidate").get("fid").getAsDouble()));

    JsonObject second = run(registryDir, TMP.newFolder("run2").toPath(), checkpoints);
    assertThat(second.toString(), second.get("decision").getAsString(), equalTo("UNCHANGED"));
    assertThat(second.get("version").getAsInt(), equalTo(1));
    assertThat(second.getAsJsonObject("current").get("version").getAsInt(), equalTo(1));
    // Same router, same probes: the same images, so the same FID up to the merge order of the
    // feature statistics.
    double currentFid = second.getAsJsonObject("current").get("fid").getAsDouble();
    assertThat(
        second.getAsJsonObject("candidate").get("fid").getAsDouble(),
        closeTo(currentFid, 1e-6 * currentFid));
    assertThat(registry.list(key).size(), equalTo(1));

    JsonObject third =
        run(registryDir, TMP.newFolder("run3").toPath(), checkpoints, "--lambda=1e3");
    System.out.println("retrain run 3 (lambda 1e3): " + third.get("reason").getAsString());
    double candidate = third.getAsJsonObject("candidate").get("fid").getAsDouble();
    double current = third.getAsJsonObject("current").get("fid").getAsDouble();
    assertThat(
        third.get("decision").getAsString() + ": " + third.get("reason").getAsString(),
        third.get("decision").getAsString(),
        equalTo("REJECTED"));
    assertThat(candidate, greaterThan(current));
    assertTrue(third.get("version").isJsonNull());
    List<RegistryEntry> entries = registry.list(key);
    assertThat(entries.size(), equalTo(1));
    assertThat(entries.get(0).status(), equalTo(RegistryEntry.Status.LATEST));
  }
}
