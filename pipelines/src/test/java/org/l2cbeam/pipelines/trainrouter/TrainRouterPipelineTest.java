package org.l2cbeam.pipelines.trainrouter;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertThrows;

import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.BeforeClass;
import org.junit.ClassRule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;
import org.l2cbeam.core.data.FashionMnist;
import org.l2cbeam.core.image.ImageBatch;
import org.l2cbeam.core.router.RouterArtifact;
import org.l2cbeam.pipelines.PipelineLauncher;

/**
 * The train-router pipeline on DirectRunner: the bundled Fashion-MNIST DiT on 24 Fashion-MNIST
 * training images; idempotent bytes under the same name, no leftover temporary files, options named
 * in errors.
 */
public class TrainRouterPipelineTest {
  @ClassRule public static final TemporaryFolder TMP = new TemporaryFolder();
  static Path data;

  /**
   * A Fashion-MNIST directory holding the first 24 training images and labels, as raw IDX files.
   */
  @BeforeClass
  public static void smallFashionMnist() throws IOException {
    FashionMnist all =
        FashionMnist.open(org.l2cbeam.core.assets.BuiltinAssets.resolve(FashionMnist.BUILTIN));
    ImageBatch images = all.images(FashionMnist.Split.TRAIN).slice(0, 24);
    byte[] labels = java.util.Arrays.copyOf(all.labels(FashionMnist.Split.TRAIN), 24);
    data = TMP.newFolder("fmnist24").toPath();
    try (DataOutputStream o =
        new DataOutputStream(Files.newOutputStream(data.resolve("train-images-idx3-ubyte")))) {
      o.writeInt(0x00000803);
      o.writeInt(24);
      o.writeInt(28);
      o.writeInt(28);
      o.write(images.pixels());
    }
    try (DataOutputStream o =
        new DataOutputStream(Files.newOutputStream(data.resolve("train-labels-idx1-ubyte")))) {
      o.writeInt(0x00000801);
      o.writeInt(24);
      o.write(labels);
    }
  }

  private static List<String> args(Path out, Path checkpoints, String... extra) {
    List<String> a =
        new ArrayList<>(
            List.of(
                "--runner=DirectRunner",
                "--model=builtin:fmnist-dit",
                "--data=" + data,
                "--sampling-steps=4",
                "--iterations=2",
                "--batch=4",
                "--lr=1e-2",
                "--seed=3",
                "--output=" + out,
                "--checkpoint-dir=" + checkpoints));
    for (String e : extra) { // an extra option replaces the default of the same name
      String name = e.substring(0, e.indexOf('=') + 1);
      a.removeIf(x -> x.startsWith(name));
      a.add(e);
    }
    return a;
  }

  @Test
  public void sameInputsAndSeedWriteTheSameBytesUnderTheSameName() throws Exception {
    Path dir = TMP.newFolder("out").toPath();
    Path out = dir.resolve("router.json");
    PipelineLauncher.run("train-router", args(out, TMP.newFolder().toPath()));
    byte[] first = Files.readAllBytes(out);
    // A scheduled re-run from scratch (fresh checkpoint directory) rewrites the same file with the
    // same bytes.
    PipelineLauncher.run("train-router", args(out, TMP.newFolder().toPath()));
    assertArrayEquals(Files.readAllBytes(out), first);
    try (Stream<Path> files = Files.list(dir)) {
      assertEquals(
          "only the router and its success marker, no temporary files",
          List.of(out, dir.resolve("router.json._SUCCESS")),
          files.sorted().toList());
    }
    RouterArtifact a = RouterArtifact.read(out);
    assertEquals(4, a.steps());
    assertEquals(data.toString(), a.provenance().source);
    assertEquals("per-step", a.provenance().training.get("cacheStep"));
    assertEquals(List.of(2L, 0L, 2L, 0L), a.provenance().training.get("routerSteps"));
  }

  @Test
  public void badOptionsAreRejectedNamingTheOption() throws Exception {
    Path out = TMP.getRoot().toPath().resolve("bad/router.json");
    Path ck = TMP.newFolder().toPath();
    assertFails("--lr", args(out, ck, "--lr=0"));
    assertFails("--sampling-steps", args(out, ck, "--sampling-steps=5"));
    assertFails("--lambda", args(out, ck, "--lambda=-1"));
    assertFails("--batch", args(out, ck, "--batch=0"));
    assertFails("--iterations", args(out, ck, "--iterations=0"));
    assertFails("--theta", args(out, ck, "--theta=1.5"));
    assertFails("--cache-steps", args(out, ck, "--cache-steps=1"));
    assertFails("--checkpoint-dir", args(out, ck, "--checkpoint-dir=gs://bucket/ck"));
    assertFails("--model", args(out, ck, "--model=/no/such/dit.pt"));
    assertFails("--data", args(out, ck, "--data=/no/such/fashion-mnist"));
    assertFalse("no partial router after rejected runs", Files.exists(out));
  }

  private static void assertFails(String option, List<String> args) {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class, () -> PipelineLauncher.run("train-router", args));
    assertThat(e.getMessage(), containsString(option));
  }

  /**
   * A U-ViT's cache steps are its outer steps 1..NFE/2-1: the option is checked against them when
   * the pipeline is built.
   */
  @Test
  public void uvitCacheStepsAreCheckedWhenThePipelineIsBuilt() throws Exception {
    Path out = TMP.getRoot().toPath().resolve("uvit/router.json");
    String model = Path.of("../l2c-core/src/test/resources/vectors/uvit_model.pt").toString();
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                PipelineLauncher.run(
                    "train-router",
                    args(
                        out,
                        TMP.newFolder().toPath(),
                        "--model=" + model,
                        "--sampling-steps=6",
                        "--cache-steps=0")));
    assertThat(e.getMessage(), containsString("--cache-steps"));
    assertThat(e.getMessage(), containsString("the outer steps 1..2"));
    assertFalse(Files.exists(out));
  }
}
