package org.l2cbeam.pipelines.report;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * {@code report.json}: the report's fields as given, plus each setting's derived {@code speedup}
 * and {@code macsRemoved}, so that a consumer needs no formula. Reading ignores the derived fields
 * and recomputes them.
 */
public final class ReportJson {
  private static final Gson GSON =
      new GsonBuilder().setPrettyPrinting().disableHtmlEscaping().create();

  private ReportJson() {}

  public static String render(BenchmarkReport report) {
    JsonObject json = GSON.toJsonTree(report).getAsJsonObject();
    var rows = json.getAsJsonArray("settings");
    for (int i = 0; i < rows.size(); i++) {
      SettingResult s = report.settings().get(i);
      JsonObject row = rows.get(i).getAsJsonObject();
      row.addProperty("speedup", report.speedup(s));
      row.addProperty("macsRemoved", report.macsRemoved(s));
    }
    return GSON.toJson(json) + "\n";
  }

  public static BenchmarkReport parse(String json, String source) {
    try {
      JsonElement tree = com.google.gson.JsonParser.parseString(json);
      BenchmarkReport report = GSON.fromJson(tree, BenchmarkReport.class);
      if (report == null) {
        throw new IllegalArgumentException("empty document");
      }
      return report;
    } catch (RuntimeException e) {
      // Gson wraps what the records' constructors reject; the innermost message says what is wrong.
      Throwable cause = e;
      while (cause.getCause() != null) cause = cause.getCause();
      throw new IllegalArgumentException(
          source + ": not a valid benchmark report: " + cause.getMessage(), e);
    }
  }

  public static BenchmarkReport read(Path file) throws IOException {
    return parse(Files.readString(file, StandardCharsets.UTF_8), file.toString());
  }
}
