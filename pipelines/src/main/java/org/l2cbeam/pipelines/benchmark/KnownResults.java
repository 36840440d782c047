package org.l2cbeam.pipelines.benchmark;

import java.io.IOException;
import java.io.Serializable;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.l2cbeam.pipelines.report.BenchmarkReport;
import org.l2cbeam.pipelines.report.Measurement;
import org.l2cbeam.pipelines.report.ReportJson;
import org.l2cbeam.pipelines.report.SettingResult;

/**
 * Plain settings measured by earlier benchmark runs ({@code --known-results}), taken instead of
 * sampled again: a plain setting's FIDs depend only on the model, the reference statistics, the CFG
 * scale, the requests and the conditions, which must all equal this run's. Learned and non-learned
 * cached settings are always sampled.
 */
final class KnownResults {
  /** One plain setting from an earlier report. */
  record Known(String name, double[] fidPerSet, int samples, double secondsPerImage, String source)
      implements Serializable {
    @Override
    public boolean equals(Object o) {
      return o instanceof Known k
          && name.equals(k.name)
          && java.util.Arrays.equals(fidPerSet, k.fidPerSet)
          && samples == k.samples
          && secondsPerImage == k.secondsPerImage
          && source.equals(k.source);
    }

    @Override
    public int hashCode() {
      return name.hashCode() * 31 + java.util.Arrays.hashCode(fidPerSet);
    }

    SettingOutcome outcome() {
      long images = (long) samples * fidPerSet.length;
      return new SettingOutcome(
          name, fidPerSet.clone(), images, Math.round(secondsPerImage * 1e6 * images));
    }
  }

  private KnownResults() {}

  /**
   * The plain settings of {@code files} (comma-separated report.json paths) that {@code settings}
   * asks for, by name; the first file that has a setting wins. Each file must have been measured as
   * this run is ({@code measurement}).
   */
  static Map<String, Known> read(
      String files, List<BenchmarkSetting> settings, Measurement measurement) {
    Map<String, Known> known = new LinkedHashMap<>();
    if (files == null || files.isBlank()) return known;
    for (String part : files.split(",")) {
      String file = part.trim();
      BenchmarkReport earlier;
      try {
        earlier = ReportJson.read(Path.of(file));
      } catch (IOException e) {
        throw new IllegalArgumentException(
            "--known-results: cannot read " + file + ": " + e.getMessage(), e);
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("--known-results: " + e.getMessage(), e);
      }
      String why = measurement.incomparability(earlier.measurement());
      if (why != null) {
        throw new IllegalArgumentException(
            "--known-results: " + file + " was measured differently from this run: " + why);
      }
      for (BenchmarkSetting s : settings) {
        if (s.isCached() || known.containsKey(s.name())) continue;
        for (SettingResult r : earlier.settings()) {
          if (r.name().equals(s.name()) && !r.isCached() && r.steps() == s.steps()) {
            known.put(
                s.name(),
                new Known(
                    r.name(),
                    r.fidPerSet().stream().mapToDouble(Double::doubleValue).toArray(),
                    r.samples(),
                    r.secondsPerImage(),
                    file));
          }
        }
      }
    }
    return known;
  }
}
