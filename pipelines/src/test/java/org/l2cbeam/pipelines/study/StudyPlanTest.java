package org.l2cbeam.pipelines.study;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.hasItem;
import static org.hamcrest.Matchers.hasItems;
import static org.hamcrest.Matchers.not;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNull;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.Test;

public class StudyPlanTest {
  private static final Path OUT = Path.of("/srv/study");

  @Test
  public void theFullStudyScreensEveryConfigurationOnTheSameRequests() {
    StudyPlan plan = new StudyPlan(StudySize.FULL, OUT);
    List<StudyPiece> pieces = plan.screening();
    assertEquals(
        List.of(
            "baselines-ddim20",
            "l2c-ddim20-it40-lr0.05",
            "l2c-ddim20-it200-lr0.05",
            "l2c-ddim20-it200-lr0.05-lambda5e-07",
            "l2c-ddim20-it200-lr0.05-lambda5e-05",
            "l2c-ddim20-it200-lr0.001",
            "l2c-ddim20-it1000-lr0.001",
            "baselines-ddim50",
            "l2c-ddim50-it200-lr0.05"),
        pieces.stream().map(StudyPiece::id).toList());
    for (StudyPiece p : pieces) {
      // one request design and one set of conditions for every piece, so every pair of settings
      // compares set by set
      assertThat(
          p.id(),
          p.args(),
          hasItems(
              "--requestSets=4",
              "--samplesPerSetting=150",
              "--seed=0",
              "--cfgScale=1.5",
              "--modelBatch=150",
              "--tempLocation=/srv/study/checkpoints",
              "--output=/srv/study/pieces/" + p.id()));
    }
    StudyPiece baselines = pieces.get(0);
    assertNull(baselines.config());
    // the partners of the frontier budgets 10%, 30%, 49% are sampled with the baselines
    assertThat(
        baselines.args(),
        hasItems(
            "--methods=same-units,whole-steps", "--macsRemoved=0.2,0.4", "--plainSteps=18,14,10"));
    StudyPiece paperLr = pieces.get(6);
    assertThat(
        paperLr.args(),
        hasItems(
            "--methods=l2c",
            "--trainIterations=1000",
            "--trainLr=0.001",
            "--trainBatch=8",
            "--knownResults=/srv/study/pieces/baselines-ddim20/report.json"));
    assertThat(paperLr.args(), not(hasItem(org.hamcrest.Matchers.startsWith("--lambda"))));
    assertThat(pieces.get(3).args(), hasItem("--lambda=5.0E-7"));
    assertThat(
        pieces.get(7).args(),
        hasItems(
            "--stepCounts=50", "--methods=whole-steps", "--macsRemoved=0.4", "--plainSteps=40,30"));
    assertThat(
        pieces.get(8).args(),
        hasItem("--knownResults=/srv/study/pieces/baselines-ddim50/report.json"));
  }

  @Test
  public void theFrontierReusesTheBestRouterAtTheRemainingBudgets() {
    StudyPlan plan = new StudyPlan(StudySize.FULL, OUT);
    StudyPiece frontier = plan.frontier(plan.screening().get(2));
    assertEquals("frontier-ddim20", frontier.id());
    assertThat(
        frontier.args(),
        hasItems(
            "--macsRemoved=0.1,0.3,0.49",
            "--routers=/srv/study/pieces/l2c-ddim20-it200-lr0.05/router-ddim20.json",
            "--knownResults=/srv/study/pieces/baselines-ddim20/report.json"));
  }

  @Test
  public void theRedundancyIsMeasuredWithThePiecesModelAndGuidanceAtBothStepCounts() {
    StudyPlan plan = new StudyPlan(StudySize.FULL, OUT);
    StudyRedundancy redundancy = new StudyRedundancy(plan);
    assertEquals(List.of(20, 50), redundancy.stepCounts());
    assertEquals(Path.of("/srv/study/redundancy/ddim50.json"), redundancy.file(50));
    Map<String, Object> options = redundancy.options(20);
    assertEquals(64, options.get("requests"));
    assertEquals(20, options.get("steps"));
    for (StudyPiece p : plan.screening()) {
      assertThat(
          p.args(),
          hasItems("--model=" + options.get("model"), "--cfgScale=" + options.get("cfgScale")));
    }
  }

  @Test
  public void configurationsNameThemselves() {
    assertEquals("it200-lr0.05-lambda5e-07", new RouterConfig(200, 0.05, 5e-7).id());
    assertEquals("it1000-lr0.001", new RouterConfig(1000, 1e-3, null).id());
    assertEquals(
        "200 updates per cache step, lr 0.05, λ 5e-06 (default)",
        new RouterConfig(200, 0.05, null).describe(20));
    assertEquals(
        "200 updates per cache step, lr 0.05, λ 1e-06 (default)",
        new RouterConfig(200, 0.05, null).describe(50));
  }
}
