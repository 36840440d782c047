package org.l2cbeam.test;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.greaterThan;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertTrue;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;
import org.l2cbeam.pipelines.cli.L2c;
import org.l2cbeam.pipelines.report.BenchmarkReport;
import org.l2cbeam.pipelines.report.ReportJson;
import org.l2cbeam.pipelines.report.SettingResult;

/**
 * The README's main job in its smoke-test size: {@code l2c demo --quick} on the bundled
 * Fashion-MNIST DiT, end to end (router training, sampling under every setting, FID, timing,
 * pictures). Checks every promised output.
 */
public class DemoQuickIT {
  @Rule public TemporaryFolder tmp = new TemporaryFolder();

  @Test
  public void quickDemoWritesEveryOutputAndAParsableReport() throws Exception {
    Path out = tmp.getRoot().toPath().resolve("demo-out");
    ByteArrayOutputStream stdout = new ByteArrayOutputStream();
    PrintStream saved = System.out;
    // TrainRouter's default checkpoints live under java.io.tmpdir: a fresh one, so the routers are
    // trained here
    // rather than resumed from an earlier run's finished checkpoints (and the training metrics
    // below exist).
    String savedTmp = System.getProperty("java.io.tmpdir");
    System.setProperty("java.io.tmpdir", tmp.newFolder("tmpdir").toString());
    int code;
    try (PrintStream capture = new PrintStream(stdout, true, StandardCharsets.UTF_8)) {
      System.setOut(capture);
      code = L2c.execute("demo", "--quick", "--out", out.toString());
    } finally {
      System.setOut(saved);
      System.setProperty("java.io.tmpdir", savedTmp);
    }
    String printed = stdout.toString(StandardCharsets.UTF_8);
    saved.print(printed);
    assertEquals("exit code of l2c demo --quick", 0, code);

    BenchmarkReport report = ReportJson.read(out.resolve("report.json"));
    List<SettingResult> settings = report.settings();
    assertTrue(
        "a plain DDIM-20 baseline", settings.stream().anyMatch(s -> s.name().equals("ddim20")));
    assertThat(settings.stream().filter(SettingResult::isCached).count(), greaterThan(1L));
    assertThat(settings.stream().filter(s -> !s.isCached()).count(), greaterThan(1L));
    String md = Files.readString(out.resolve("report.md"));
    for (SettingResult s : settings) {
      assertThat(md, containsString("| " + s.label() + " |"));
      assertTrue("finite FID for " + s.name(), Double.isFinite(s.fid()));
      png(out.resolve("samples-" + s.name() + ".png"));
    }
    png(out.resolve("router-heatmap.png"));
    png(out.resolve("fid-vs-latency.png"));
    // The end of the run says where the outputs went and shows the table.
    assertThat(printed, containsString(out.toString()));
    assertThat(printed, containsString("| setting | NFE |"));
    // ... and the pipeline's final metrics: counters, router loss and it/s per cache step,
    // distributions.
    assertThat(printed, containsString("[demo] pipeline DONE after"));
    assertThat(printed, containsString("  TrainRouter.iterations = "));
    assertThat(printed, containsString("  TrainRouter.cacheStep0.loss = "));
    assertThat(printed, containsString("  TrainRouter.cacheStep0.itPerSec = "));
    assertThat(printed, containsString("  CachedSample.batchMillis = count "));
    assertThat(printed, containsString("  ComputeFID.imagesPerSecond = count "));
  }

  private static void png(Path file) throws Exception {
    assertTrue(file + " exists", Files.isRegularFile(file));
    BufferedImage img = ImageIO.read(file.toFile());
    assertNotNull(file + " is a PNG", img);
    assertThat(img.getWidth(), greaterThan(50));
  }
}
