package org.l2cbeam.pipelines.report;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.greaterThan;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertThrows;

import java.awt.Color;
import java.awt.image.BufferedImage;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.title.TextTitle;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;
import org.l2cbeam.core.io.SafetensorsFile;
import org.l2cbeam.core.router.RouterScores;

public class RouterHeatmapChartTest {
  @Rule public TemporaryFolder tmp = new TemporaryFolder();

  /**
   * The reference router of the test vectors (DDIM-10, 4 blocks, 8 units): logits per spaced index,
   * and the original code's compute mask at θ = 0.1.
   */
  private static final class ReferenceRouter {
    final float[] prob;
    final long[] mask;
    final int steps = 10;
    final int units = 8;

    ReferenceRouter() throws URISyntaxException {
      Path file =
          Path.of(
              RouterHeatmapChartTest.class.getResource("/vectors/dit_router.safetensors").toURI());
      SafetensorsFile.Contents c = SafetensorsFile.read(file);
      prob = c.tensors.get("router.prob").toFloatArray();
      mask = c.tensors.get("router.compute_mask").toLongArray();
    }

    /** Cache steps (even spaced indices) in sampling order: 8, 6, 4, 2, 0. */
    RouterHeatmapChart.Input input(Double theta) {
      List<String> labels = new ArrayList<>();
      List<double[]> rows = new ArrayList<>();
      for (int k = steps - 2; k >= 0; k -= 2) {
        labels.add("k=" + k);
        double[] beta = new double[units];
        for (int u = 0; u < units; u++) beta[u] = 1 / (1 + Math.exp(-prob[k * units + u]));
        rows.add(beta);
      }
      return new RouterHeatmapChart.Input(
          "reference router",
          labels,
          RouterHeatmapChart.ditUnitLabels(units),
          rows.toArray(new double[0][]),
          theta);
    }

    int reusedByReference() {
      int n = 0;
      for (int k = 0; k < steps; k += 2)
        for (int u = 0; u < units; u++) if (mask[k * units + u] == 0) n++;
      return n;
    }
  }

  @Test
  public void rendersReferenceRouterAsReadablePngWithEveryScoreColour() throws Exception {
    ReferenceRouter ref = new ReferenceRouter();
    RouterHeatmapChart.Input in = ref.input(0.1);
    Path png = tmp.getRoot().toPath().resolve("router-heatmap.png");
    RouterHeatmapChart.write(png, in);

    BufferedImage img = PngAssertions.read(png, 640, 480);
    assertThat(PngAssertions.distinctColors(img), greaterThan(20));
    // Each cell is a solid block of its β's colour: every one of the 40 scores must be visible
    // somewhere.
    ScoreColors colors = new ScoreColors();
    for (double[] row : in.beta()) {
      for (double b : row) {
        assertThat(
            "pixels of β=" + b,
            PngAssertions.count(img, (Color) colors.getPaint(b)),
            greaterThan(20));
      }
    }
    assertFalse(
        "no temp file left",
        Files.list(tmp.getRoot().toPath()).anyMatch(p -> p.toString().endsWith(".partial")));
  }

  @Test
  public void reusedCountFollowsTheOriginalThresholdRule() throws Exception {
    ReferenceRouter ref = new ReferenceRouter();
    JFreeChart chart = RouterHeatmapChart.chart(ref.input(0.1));
    String subtitle =
        chart.getSubtitles().stream()
            .filter(t -> t instanceof TextTitle)
            .map(t -> ((TextTitle) t).getText())
            .findFirst()
            .orElseThrow();
    assertThat(subtitle, containsString("× = reused: " + ref.reusedByReference() + " of 40 cells"));
  }

  @Test
  public void officialDdim20RouterShowsTheSpecsScheduleAtThetaPointOne() throws Exception {
    Path file =
        Path.of(RouterHeatmapChartTest.class.getResource("/vectors/DDIM20_router.pt").toURI());
    RouterHeatmapChart.Input in =
        RouterHeatmapChart.of(RouterScores.load(file), "DDIM20_router.pt", 0.1);
    // Ten cache steps, noisiest (k=18) first; 56 units of DiT-XL/2.
    assertEquals(
        List.of("k=18", "k=16", "k=14", "k=12", "k=10", "k=8", "k=6", "k=4", "k=2", "k=0"),
        in.stepLabels());
    assertEquals("block27.mlp", in.unitLabels().get(55));
    String subtitle =
        RouterHeatmapChart.chart(in).getSubtitles().stream()
            .filter(t -> t instanceof TextTitle)
            .map(t -> ((TextTitle) t).getText())
            .findFirst()
            .orElseThrow();
    // The released DDIM-20 router: 312 of 560 units active in cache steps at θ = 0.1.
    assertThat(subtitle, containsString("× = reused: 248 of 560 cells"));
    Path png = tmp.getRoot().toPath().resolve("official.png");
    RouterHeatmapChart.write(png, in);
    BufferedImage img = PngAssertions.read(png, 640, 170 + 12 * 56);
    assertThat(PngAssertions.distinctColors(img), greaterThan(50));
  }

  @Test
  public void sizeGrowsWithTheGrid() throws Exception {
    double[][] beta = new double[25][56];
    List<String> steps = new ArrayList<>();
    for (int c = 0; c < 25; c++) {
      steps.add("k=" + (48 - 2 * c));
      for (int u = 0; u < 56; u++) beta[c][u] = (c * 56 + u) / (25.0 * 56);
    }
    Path png = tmp.getRoot().toPath().resolve("xl.png");
    RouterHeatmapChart.write(
        png,
        new RouterHeatmapChart.Input(
            "DiT-XL/2", steps, RouterHeatmapChart.ditUnitLabels(56), beta, null));
    BufferedImage img = PngAssertions.read(png, 170 + 46 * 25, 170 + 12 * 56);
    assertThat(PngAssertions.distinctColors(img), greaterThan(200));
  }

  @Test
  public void rejectsScoresThatAreNotProbabilities() {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                new RouterHeatmapChart.Input(
                    "t",
                    List.of("k=0"),
                    RouterHeatmapChart.ditUnitLabels(2),
                    new double[][] {{0.5, 1.7}},
                    null));
    assertThat(e.getMessage(), containsString("1.7"));
    assertThat(e.getMessage(), containsString("k=0"));
  }

  @Test
  public void rejectsShapeMismatchAndBadTheta() {
    IllegalArgumentException shape =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                new RouterHeatmapChart.Input(
                    "t",
                    List.of("k=2"),
                    RouterHeatmapChart.ditUnitLabels(4),
                    new double[][] {{0.5, 0.5}},
                    null));
    assertThat(shape.getMessage(), containsString("2 scores for 4 units"));
    IllegalArgumentException theta =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                new RouterHeatmapChart.Input(
                    "t",
                    List.of("k=0"),
                    RouterHeatmapChart.ditUnitLabels(1),
                    new double[][] {{0.5}},
                    1.0));
    assertThat(theta.getMessage(), containsString("θ"));
    assertEquals("attn 3", RouterHeatmapChart.ditUnitLabels(8).get(6));
  }
}
