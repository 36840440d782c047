package org.l2cbeam.core.router;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.fail;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;
import org.l2cbeam.core.TestResources;
import org.l2cbeam.core.io.CheckpointFormatException;

public class RouterArtifactTest {
  @Rule public TemporaryFolder tmp = new TemporaryFolder();

  @Test
  public void officialRouterRoundTripsExactlyThroughJson() throws Exception {
    Path source = TestResources.path("routers/DDIM20_router.pt");
    RouterArtifact a = RouterArtifact.importFrom(source, null, null);
    assertEquals("unknown", a.modelFingerprint());
    assertEquals(0.1, a.theta(), 0);
    assertEquals("ddim", a.sampler());
    assertEquals(20, a.steps());
    assertEquals("DDIM20_router.pt", a.provenance().source);
    assertEquals(64, a.provenance().sourceSha256.length());
    Path json = tmp.getRoot().toPath().resolve("ddim20.json");
    a.write(json);
    RouterArtifact b = RouterArtifact.read(json);
    assertEquals(a, b);
    assertArrayEquals(a.scores().logits(), b.scores().logits());
    assertEquals(a.schedule(), b.schedule());
    assertEquals("writing again gives the same bytes", a.toJson(), b.toJson());
    // Human-readable: one line per router row, units named.
    List<String> lines = Files.readAllLines(json);
    assertEquals("{", lines.get(0));
    assertThat(
        Files.readString(json),
        containsString("\"units\": [\"block0.attn\", \"block0.mlp\", \"block1.attn\""));
    assertEquals(1, Files.list(tmp.getRoot().toPath()).count());
    // RouterScores.load accepts the artifact too.
    assertArrayEquals(a.scores().logits(), RouterScores.load(json).logits());
  }

  @Test
  public void arbitraryFloatsAndTrainingProvenanceRoundTripExactly() throws Exception {
    Random rnd = new Random(1);
    float[][] logits = new float[4][10];
    for (float[] row : logits) {
      for (int u = 0; u < row.length; u++)
        row[u] = Float.intBitsToFloat(rnd.nextInt() & 0xbf7fffff);
    }
    logits[0][0] = Float.MIN_VALUE;
    logits[0][1] = -0f;
    logits[0][2] = Float.MAX_VALUE;
    RouterArtifact a =
        new RouterArtifact(
                "abc123",
                new RouterScores(ModelFamily.UVIT, logits),
                null,
                0.9,
                new RouterArtifact.Provenance(
                    "train", null, "2026-11-27T00:00:00Z", "l2c router train", Map.of()))
            .withTraining(
                Map.of(
                    "lambda",
                    0.1,
                    "iterations",
                    2000L,
                    "loss",
                    List.of(0.5, 0.25),
                    "dataset",
                    "fmnist"));
    Path json = tmp.getRoot().toPath().resolve("r.json");
    a.write(json);
    RouterArtifact b = RouterArtifact.read(json);
    assertEquals(a, b);
    assertEquals(a.toJson(), b.toJson());
    assertEquals(2000L, b.provenance().training.get("iterations"));
    assertEquals(
        List.of(
            "in0.attn",
            "in0.mlp",
            "in1.attn",
            "in1.mlp",
            "mid.attn",
            "mid.mlp",
            "out0.attn",
            "out0.mlp",
            "out1.attn",
            "out1.mlp"),
        b.units());
  }

  @Test
  public void badArtifactsNameTheFileAndKey() throws Exception {
    RouterArtifact a =
        RouterArtifact.importFrom(TestResources.vector("dit_router_ckpt.pt"), null, null);
    String good = a.toJson();
    assertBad(
        good.replace("\"steps\": 10", "\"steps\": 12"),
        "key 'scores' has 10 rows, but 'steps' is 12");
    assertBad(
        good.replace("\"formatVersion\": 1", "\"formatVersion\": 7"), "key 'formatVersion' is 7");
    assertBad(
        good.replace("\"modelFamily\": \"dit\"", "\"modelFamily\": \"unet\""), "key 'modelFamily'");
    assertBad(good.replace("\"block0.attn\"", "\"blockX.attn\""), "key 'units' does not match");
    assertBad(good.replace("\"theta\": 0.1", "\"theta\": 1.5"), "key 'theta'");
    assertBad(good.replace("\"sampler\"", "\"samplr\""), "missing key 'sampler'");
    assertBad("[1, 2", "router JSON is not valid JSON: ");
    assertBad("[1, 2]", "router JSON must be a JSON object, but the top level is an array");
  }

  private void assertBad(String json, String problem) throws Exception {
    Path f = tmp.newFile().toPath();
    Files.writeString(f, json);
    try {
      RouterArtifact.read(f);
      fail("expected an error: " + problem);
    } catch (CheckpointFormatException e) {
      assertThat(e.getMessage(), containsString(f.toString()));
      assertThat(e.getMessage(), containsString(problem));
    }
  }

  @Test
  public void nonFiniteScoresAreRefusedAsTheWriterRefusesThem() throws Exception {
    RouterArtifact a =
        RouterArtifact.importFrom(TestResources.vector("dit_router_ckpt.pt"), null, null);
    String good = a.toJson();
    int row0 = good.indexOf("[", good.indexOf("[", good.indexOf("\"scores\"")) + 1) + 1;
    int comma = good.indexOf(',', row0);
    java.util.function.Function<String, String> firstScore =
        v -> good.substring(0, row0) + v + good.substring(comma);
    assertBad(
        firstScore.apply("NaN"),
        "key 'scores': row 0, unit 0 (block0.attn): logit NaN is not finite");
    assertBad(firstScore.apply("1e39"), "logit Infinity is not finite");
    assertBad(firstScore.apply("\"x\""), "row 0, unit 0 is a string, not a number");
  }

  @Test
  public void jsonErrorsCarryNoClassNamesOrLinks() throws Exception {
    Path f = tmp.newFile().toPath();
    Files.writeString(f, "{\"format\": \"l2c-router\", \"scores\": [1, 2");
    CheckpointFormatException e =
        org.junit.Assert.assertThrows(
            CheckpointFormatException.class, () -> RouterArtifact.read(f));
    assertThat(
        e.getMessage(),
        containsString("router JSON is not valid JSON: End of input at line 1 column"));
    assertThat(e.getMessage(), org.hamcrest.Matchers.not(containsString("com.google")));
    assertThat(e.getMessage(), org.hamcrest.Matchers.not(containsString("https://")));
  }
}
