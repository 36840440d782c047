package org.l2cbeam.pipelines.cli;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.junit.Assert.assertEquals;

import java.util.Map;
import java.util.Random;
import org.junit.Rule;
import org.junit.Test;
import org.l2cbeam.core.model.ModelCheckpoint;
import org.l2cbeam.core.router.ModelFamily;
import org.l2cbeam.core.router.RouterArtifact;
import org.l2cbeam.core.router.RouterScores;
import org.l2cbeam.registry.RouterKey;
import org.l2cbeam.registry.RouterRegistry;

/** {@code l2c router registry}: lists a registry's versions for a model and rolls latest back. */
public class RouterRegistryCommandTest {
  @Rule public CliRun cli = new CliRun();

  private static RouterArtifact router(String model, long seed) {
    Random r = new Random(seed);
    float[][] logits = new float[20][16];
    for (float[] row : logits)
      for (int u = 0; u < row.length; u++) row[u] = (float) r.nextGaussian();
    return new RouterArtifact(
        model,
        new RouterScores(ModelFamily.DIT, logits),
        "ddim",
        0.1,
        new RouterArtifact.Provenance(
            "test", null, null, "test", Map.of("dataFingerprint", "d" + seed)));
  }

  @Test
  public void listsVersionsAndRollsBack() {
    String model = ModelCheckpoint.open("builtin:fmnist-dit").fingerprint();
    String dir = cli.path("routers").toString();
    RouterRegistry registry = RouterRegistry.open(dir);
    registry.publish(router(model, 1), RouterRegistry.NONE, Map.of("fid", 30.5));
    registry.publish(router(model, 2), 1, Map.of("fid", 29.25));

    String[] list = CliRun.codeOutErr("router", "registry", dir, "--model", "builtin:fmnist-dit");
    assertEquals(list[2], "0", list[0]);
    assertThat(list[1], containsString("v1    SUPERSEDED  created "));
    assertThat(list[1], containsString(" fid 30.5000 parent - sha256 "));
    assertThat(list[1], containsString("v2    LATEST      created "));
    assertThat(list[1], containsString(" fid 29.2500 parent v1 sha256 "));
    assertThat(list[2], containsString(model + "/ddim-20/"));

    String[] back =
        CliRun.codeOutErr(
            "router", "registry", dir, "--model", "builtin:fmnist-dit", "--rollback", "v1");
    assertEquals(back[2], "0", back[0]);
    assertThat(back[1], containsString("latest is now v1"));
    assertThat(back[1], containsString("v1    LATEST"));
    assertThat(back[1], containsString("latest #3 -> v1 (rollback, "));
    assertEquals(1, registry.latest(new RouterKey(model, "ddim", 20)).orElseThrow().version());
  }

  @Test
  public void badVersionsAreNamed() {
    String dir = cli.path("routers").toString();
    String[] r =
        CliRun.codeOutErr(
            "router", "registry", dir, "--model", "builtin:fmnist-dit", "--rollback", "x");
    assertEquals("2", r[0]);
    assertThat(r[2], containsString("--rollback"));
    String[] missing =
        CliRun.codeOutErr(
            "router", "registry", dir, "--model", "builtin:fmnist-dit", "--rollback", "4");
    assertEquals("2", missing[0]);
    assertThat(missing[2], containsString("no version v4"));
  }
}
