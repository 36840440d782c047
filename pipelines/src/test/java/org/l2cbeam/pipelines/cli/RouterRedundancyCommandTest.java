package org.l2cbeam.pipelines.cli;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.startsWith;
import static org.junit.Assert.assertEquals;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.Test;
import org.l2cbeam.core.router.RouterArtifact;

/**
 * {@code l2c router redundancy} on the bundled model: the table, the JSON line, the router's β, bad
 * options.
 */
public class RouterRedundancyCommandTest {
  /** The demo's DDIM-20 router for the bundled model. */
  private static final Path ROUTER = Path.of("../docs/demo/router-ddim20.json");

  @Test
  public void printsOneLinePerCacheStepTheRoutersBetaAndTheJson() {
    String[] r =
        CliRun.codeOutErr(
            "router",
            "redundancy",
            "--model",
            "builtin:fmnist-dit",
            "--steps",
            "20",
            "--samples",
            "1",
            "--router",
            ROUTER.toString());
    assertEquals(r[2], "0", r[0]);
    List<String> out = Arrays.asList(r[1].split("\n"));
    // title, header, 10 cache steps, mean; router title, header, 10 cache steps; JSON
    assertEquals(r[1], 1 + 1 + 10 + 1 + 1 + 1 + 10 + 1, out.size());
    assertThat(out.get(1), startsWith("row   time full>cache"));
    assertThat(out.get(2), startsWith("18    999>946 "));
    assertThat(out.get(11), startsWith("0     53>0 "));
    assertThat(out.get(12), startsWith("mean "));
    assertThat(out.get(13), startsWith("router beta"));
    JsonObject json = JsonParser.parseString(out.get(out.size() - 1)).getAsJsonObject();
    assertEquals(1, json.get("requests").getAsInt());
    assertEquals(
        2,
        json.get("rowsPerRequest")
            .getAsInt()); // CFG 1.5 by default: the unconditional twins count too
    JsonArray steps = json.getAsJsonArray("cacheSteps");
    assertEquals(10, steps.size());
    double[][] beta = RouterArtifact.read(ROUTER).scores().betaPerRow();
    JsonObject last = steps.get(9).getAsJsonObject();
    assertEquals(0, last.get("row").getAsInt());
    assertEquals(beta[0][5], last.getAsJsonArray("routerBeta").get(5).getAsDouble(), 0);
    // the table prints what the JSON holds
    assertThat(
        out.get(11),
        containsString(
            String.format(
                java.util.Locale.ROOT,
                "%5.3f/%5.3f",
                last.getAsJsonArray("units").get(0).getAsDouble(),
                last.getAsJsonArray("units").get(1).getAsDouble())));
  }

  @Test
  public void badOptionsAreClearErrors() {
    String[] r =
        CliRun.codeOutErr(
            "router",
            "redundancy",
            "--model",
            "builtin:fmnist-dit",
            "--steps",
            "8",
            "--samples",
            "1",
            "--router",
            ROUTER.toString());
    assertEquals("2", r[0]);
    assertThat(
        r[2],
        containsString("router-ddim20.json: the router has 20 steps x 16 units, but --steps is 8"));
    r = CliRun.codeOutErr("router", "redundancy", "--model", "builtin:fmnist-dit", "--steps", "1");
    assertEquals("2", r[0]);
    assertThat(r[2], containsString("--steps 1 has no cache step"));
    r =
        CliRun.codeOutErr(
            "router",
            "redundancy",
            "--model",
            "builtin:fmnist-dit",
            "--steps",
            "4",
            "--samples",
            "0");
    assertEquals("2", r[0]);
    assertThat(r[2], containsString("--samples must be positive"));
  }
}
