package org.l2cbeam.pipelines.study;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.l2cbeam.core.io.AtomicFile;

/**
 * Writes a finished study's report into its output folder, all files published together: {@value
 * #MARKDOWN}, {@value #JSON}, {@value #FRONTIER} and {@value #LOSS_CURVES}.
 */
public final class StudyReport {
  public static final String MARKDOWN = "study.md";
  public static final String JSON = "study.json";
  public static final String FRONTIER = "study-frontier.png";
  public static final String LOSS_CURVES = "study-loss-curves.png";

  private StudyReport() {}

  /** Reads every piece of {@code pieces} (all finished) and writes the report. */
  public static void write(StudyPlan plan, List<StudyPiece> pieces) throws IOException {
    StudyResults results = StudyResults.load(plan, pieces);
    byte[] markdown = StudyMarkdown.render(results).getBytes(StandardCharsets.UTF_8);
    byte[] json = StudyJson.render(results).getBytes(StandardCharsets.UTF_8);
    Map<Path, AtomicFile.Writer> files = new LinkedHashMap<>();
    files.put(plan.out().resolve(MARKDOWN), out -> out.write(markdown));
    files.put(plan.out().resolve(JSON), out -> out.write(json));
    files.put(plan.out().resolve(FRONTIER), out -> StudyCharts.writeFrontier(out, results));
    files.put(plan.out().resolve(LOSS_CURVES), out -> StudyCharts.writeLossCurves(out, results));
    AtomicFile.writeAll(files);
  }
}
