package org.l2cbeam.pipelines.study;

import com.google.gson.GsonBuilder;
import com.google.gson.JsonObject;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.l2cbeam.core.diffusion.SamplingRun;
import org.l2cbeam.core.io.AtomicFile;
import org.l2cbeam.core.io.JsonText;
import org.l2cbeam.core.model.DiffusionTransformer;
import org.l2cbeam.core.model.ModelCheckpoint;
import org.l2cbeam.core.router.UnitRedundancy;
import org.l2cbeam.core.runtime.Torch;

/**
 * The "why" of a study: how much each cache unit's output changes between the paired steps of the
 * plain sampler ({@link UnitRedundancy}) at the study's two step counts, on the study's model and
 * guidance, for its first requests (label i mod 10, seed i, as request set 0 begins). A unit that
 * barely changes can be reused; one that changes a lot cannot, whatever the router learns.
 *
 * <p>One file per step count, {@code redundancy/ddim<N>.json}, holding the options it was measured
 * with and the result. Like a piece, a file measured with the same options is not measured again,
 * so a finished study's report is rewritten byte for byte; unlike a piece it takes seconds, so it
 * is measured with the report rather than counted against {@code --max-pieces}.
 */
final class StudyRedundancy {
  static final String FOLDER = "redundancy";

  private final StudyPlan plan;

  StudyRedundancy(StudyPlan plan) {
    this.plan = plan;
  }

  /** The step counts measured: the main one and the long run. */
  List<Integer> stepCounts() {
    return List.of(plan.size().mainSteps(), plan.size().longSteps());
  }

  Path file(int steps) {
    return plan.out().resolve(FOLDER).resolve("ddim" + steps + ".json");
  }

  /** What a measurement depends on; a file with other options is measured again. */
  Map<String, Object> options(int steps) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("model", StudyPlan.MODEL);
    m.put("steps", steps);
    m.put("cfgScale", StudyPlan.CFG_SCALE);
    m.put("requests", plan.size().redundancySamples());
    m.put("labels", "i mod classes");
    m.put("seed", 0);
    m.put("batch", UnitRedundancy.DEFAULT_BATCH);
    return m;
  }

  /** Measures every step count whose file is missing or was measured with other options. */
  void measureMissing(PrintStream log) throws IOException {
    DiffusionTransformer model = null;
    try {
      for (int steps : stepCounts()) {
        if (isCurrent(steps)) continue;
        if (model == null) {
          Torch.inferenceMode();
          model = ModelCheckpoint.open(StudyPlan.MODEL).load();
        }
        long start = System.nanoTime();
        int n = plan.size().redundancySamples();
        long[] labels = new long[n];
        for (int i = 0; i < n; i++) labels[i] = i % model.numClasses();
        SamplingRun run = SamplingRun.of(model).steps(steps).cfgScale(StudyPlan.CFG_SCALE).build();
        UnitRedundancy.Result r =
            UnitRedundancy.of(run).withBatch(UnitRedundancy.DEFAULT_BATCH).measure(0, labels);
        Map<String, Object> file = new LinkedHashMap<>();
        file.put("options", options(steps));
        file.put("result", r.toMap());
        Files.createDirectories(file(steps).getParent());
        AtomicFile.writeString(file(steps), json(file));
        log.printf(
            Locale.ROOT,
            "[study] redundancy ddim%d: attention %.3f, MLP %.3f, eps %.3f (%d requests, %.0f s)%n",
            steps,
            r.attentionMean(),
            r.mlpMean(),
            r.outputMean(),
            n,
            (System.nanoTime() - start) / 1e9);
      }
    } finally {
      if (model != null) model.close();
    }
  }

  private boolean isCurrent(int steps) throws IOException {
    Path f = file(steps);
    if (!Files.isRegularFile(f)) return false;
    JsonObject stored =
        JsonText.parseObject(f, Files.readString(f, StandardCharsets.UTF_8), "study redundancy");
    return stored.has("options")
        && stored
            .get("options")
            .toString()
            .equals(
                new GsonBuilder()
                    .disableHtmlEscaping()
                    .create()
                    .toJsonTree(options(steps))
                    .toString());
  }

  /** The measured results by step count, as stored (every step count must have been measured). */
  Map<Integer, JsonObject> load() throws IOException {
    Map<Integer, JsonObject> results = new LinkedHashMap<>();
    for (int steps : stepCounts()) {
      if (!isCurrent(steps)) {
        throw new IllegalStateException(
            "the study's redundancy at DDIM-"
                + steps
                + " has not been measured with its options: no current "
                + file(steps)
                + " (run the study again)");
      }
      Path f = file(steps);
      results.put(
          steps,
          JsonText.parseObject(f, Files.readString(f, StandardCharsets.UTF_8), "study redundancy")
              .getAsJsonObject("result"));
    }
    return results;
  }

  private static String json(Object value) {
    return new GsonBuilder().setPrettyPrinting().disableHtmlEscaping().create().toJson(value)
        + "\n";
  }
}
