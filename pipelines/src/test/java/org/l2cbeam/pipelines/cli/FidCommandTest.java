package org.l2cbeam.pipelines.cli;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.greaterThan;
import static org.hamcrest.Matchers.lessThan;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;
import org.l2cbeam.core.data.FashionMnist;
import org.l2cbeam.core.fid.FidStats;
import org.l2cbeam.core.image.ImageBatch;
import org.l2cbeam.core.io.NpzWriter;
import org.l2cbeam.core.io.TensorData;

/** {@code l2c fid stats|score} on Fashion-MNIST sample files, and their bad-input errors. */
public class FidCommandTest {
  @Rule public TemporaryFolder tmp = new TemporaryFolder();

  private static String[] run(String... args) {
    return CliRun.codeOutErr(args);
  }

  /** The first {@code n} test images as a samples npz, arr_0 [n, 28, 28, 1] uint8. */
  private Path samples(String name, int from, int n) throws Exception {
    ImageBatch images =
        FashionMnist.openDefault().images(FashionMnist.Split.TEST).slice(from, from + n);
    Path file = tmp.getRoot().toPath().resolve(name);
    NpzWriter.write(
        file, Map.of("arr_0", TensorData.ofBytes(new long[] {n, 28, 28, 1}, images.pixels())));
    return file;
  }

  @Test
  public void statsThenScore() throws Exception {
    Path a = samples("a.npz", 0, 300);
    Path stats = tmp.getRoot().toPath().resolve("a-stats.npz");
    String[] r =
        run(
            "fid",
            "stats",
            "--images",
            a.toString(),
            "--extractor",
            "fmnist",
            "--out",
            stats.toString());
    assertEquals(r[2], "0", r[0]);
    assertThat(r[2], containsString("300/300 images"));
    assertThat(r[1], containsString("\"dim\":128"));
    assertEquals(128, FidStats.read(stats).dim());

    r = run("fid", "score", "--a", stats.toString(), "--b", stats.toString());
    assertEquals(r[2], "0", r[0]);
    assertThat(Math.abs(Double.parseDouble(r[1].trim())), lessThan(1e-9));

    // images against the bundled reference statistics: a small sample is close but not equal
    r =
        run(
            "fid",
            "score",
            "--a",
            a.toString(),
            "--b",
            "builtin:fmnist-test-stats",
            "--batch-size",
            "100");
    assertEquals(r[2], "0", r[0]);
    double fid = Double.parseDouble(r[1].trim());
    assertThat(fid, greaterThan(0.0));
    assertThat(fid, lessThan(5.0));
  }

  @Test
  public void mismatchedStatisticsNameBothSides() throws Exception {
    Path small = tmp.getRoot().toPath().resolve("two-d.npz");
    new FidStats(new double[] {0, 0}, new double[] {1, 0, 0, 1}).write(small);
    String[] r = run("fid", "score", "--a", small.toString(), "--b", "builtin:fmnist-test-stats");
    assertEquals("2", r[0]);
    assertThat(r[2], containsString("l2c: error: --a " + small));
    assertThat(r[2], containsString("different lengths: 2 and 128"));
  }

  @Test
  public void corruptNpzIsNamed() throws Exception {
    Path bad = tmp.getRoot().toPath().resolve("bad.npz");
    Files.write(bad, new byte[] {'P', 'K', 3, 4, 0, 0, 1});
    Path out = tmp.getRoot().toPath().resolve("out.npz");
    String[] r = run("fid", "stats", "--images", bad.toString(), "--out", out.toString());
    assertEquals("2", r[0]);
    assertThat(r[2], containsString("bad.npz"));
    assertFalse(Files.exists(out));
  }

  @Test
  public void wrongChannelCountAndTooFewImages() throws Exception {
    Path grey = samples("grey.npz", 0, 2);
    Path out = tmp.getRoot().toPath().resolve("out.npz");
    String[] r =
        run(
            "fid",
            "stats",
            "--images",
            grey.toString(),
            "--extractor",
            "inception",
            "--weights",
            "hash:1",
            "--out",
            out.toString());
    assertEquals("2", r[0]);
    assertThat(r[2], containsString("3 channels"));
    assertFalse(Files.exists(out));

    Path one = samples("one.npz", 0, 1);
    r = run("fid", "stats", "--images", one.toString(), "--out", out.toString());
    assertEquals("2", r[0]);
    assertThat(r[2], containsString("at least 2 images, found 1"));
    assertFalse(Files.exists(out));

    r =
        run(
            "fid",
            "stats",
            "--images",
            one.toString(),
            "--extractor",
            "vgg",
            "--out",
            out.toString());
    assertEquals("2", r[0]);
    assertThat(r[2], containsString("unknown --extractor 'vgg'"));
  }
}
