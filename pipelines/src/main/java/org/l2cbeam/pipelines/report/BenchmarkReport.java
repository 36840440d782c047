package org.l2cbeam.pipelines.report;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The result of a benchmark run: every setting sampled the same requests, and was timed and scored
 * in the same process, so the rows compare with each other. Speedup and MACs removed are always
 * relative to the row's declared baseline, which must be a plain setting of the same report.
 *
 * @param title heading of the Markdown report
 * @param model the model sampled (e.g. {@code builtin:fmnist-dit})
 * @param referenceStats the FID reference statistics (e.g. {@code builtin:fmnist-test-stats})
 * @param cfgScale classifier-free guidance scale, the same for every setting
 * @param requests how the requests were made (labels, seeds), so a reader can regenerate them
 * @param runner the Beam runner, or how the run was executed
 * @param notes free lines shown under the table (router training, θ selection, caveats)
 * @param settings one row per setting, in display order
 * @param conditions what else the images and FIDs depend on besides the setting and the fields
 *     above (the model batch, the feature extractor), or {@code null} when not recorded: two
 *     reports whose model, reference statistics, CFG scale, requests and conditions are equal
 *     measured comparable FIDs, set by set
 */
public record BenchmarkReport(
    String title,
    String model,
    String referenceStats,
    double cfgScale,
    String requests,
    String runner,
    List<String> notes,
    List<SettingResult> settings,
    String conditions) {

  public BenchmarkReport {
    if (title == null || settings == null) {
      throw new IllegalArgumentException("a benchmark report needs a 'title' and 'settings'");
    }
    notes = List.copyOf(notes == null ? List.of() : notes);
    settings = List.copyOf(settings);
    if (settings.isEmpty()) {
      throw new IllegalArgumentException("a benchmark report needs at least one setting");
    }
    List<String> seen = new ArrayList<>();
    for (SettingResult s : settings) {
      if (seen.contains(s.name())) {
        throw new IllegalArgumentException(
            "setting name '" + s.name() + "' appears twice in the report");
      }
      seen.add(s.name());
    }
    for (SettingResult s : settings) {
      SettingResult base =
          settings.stream()
              .filter(b -> b.name().equals(s.baseline()))
              .findFirst()
              .orElseThrow(
                  () ->
                      new IllegalArgumentException(
                          "setting '"
                              + s.name()
                              + "' names baseline '"
                              + s.baseline()
                              + "', which is not in the"
                              + " report"));
      if (base.isCached()) {
        throw new IllegalArgumentException(
            "setting '"
                + s.name()
                + "' names baseline '"
                + base.name()
                + "', which is not a plain sampler");
      }
      if (s.requestSets() != settings.get(0).requestSets()) {
        throw new IllegalArgumentException(
            "setting '"
                + s.name()
                + "' has "
                + s.requestSets()
                + " request sets, '"
                + settings.get(0).name()
                + "' "
                + settings.get(0).requestSets()
                + ": every setting of a report samples the same requests");
      }
      if (s.pairedWith() != null) {
        SettingResult partner =
            settings.stream()
                .filter(b -> b.name().equals(s.pairedWith()))
                .findFirst()
                .orElseThrow(
                    () ->
                        new IllegalArgumentException(
                            "setting '"
                                + s.name()
                                + "' is paired with '"
                                + s.pairedWith()
                                + "', which is not in the report"));
        if (partner.isCached()) {
          throw new IllegalArgumentException(
              "setting '"
                  + s.name()
                  + "' is paired with '"
                  + partner.name()
                  + "', which is not a plain sampler");
        }
      }
    }
  }

  /** A report without recorded {@link #conditions} (written before they were). */
  public BenchmarkReport(
      String title,
      String model,
      String referenceStats,
      double cfgScale,
      String requests,
      String runner,
      List<String> notes,
      List<SettingResult> settings) {
    this(title, model, referenceStats, cfgScale, requests, runner, notes, settings, null);
  }

  /** Request sets behind every setting's FID. */
  public int requestSets() {
    return settings.get(0).requestSets();
  }

  /**
   * A cached setting's FID minus its equal-MAC plain partner's, set by set on the same requests;
   * empty for a plain setting.
   */
  public Optional<Estimate> pairedDifference(SettingResult s) {
    if (s.pairedWith() == null) return Optional.empty();
    return Optional.of(
        Estimate.pairedDifference(s.fidPerSet(), setting(s.pairedWith()).fidPerSet()));
  }

  /** What this report's FIDs depend on besides each setting, to compare with another report's. */
  public Measurement measurement() {
    return new Measurement(model, referenceStats, cfgScale, requests, conditions);
  }

  public SettingResult setting(String name) {
    return settings.stream()
        .filter(s -> s.name().equals(name))
        .findFirst()
        .orElseThrow(() -> new IllegalArgumentException("no setting '" + name + "' in the report"));
  }

  /** Baseline latency over this setting's latency: above 1 means faster than the baseline. */
  public double speedup(SettingResult s) {
    return setting(s.baseline()).secondsPerImage() / s.secondsPerImage();
  }

  /** Fraction of the baseline's MACs per image that this setting does not spend. */
  public double macsRemoved(SettingResult s) {
    return 1.0 - s.macsPerImage() / setting(s.baseline()).macsPerImage();
  }

  /** The plain settings, fastest first: the DDIM speed/quality line. */
  public List<SettingResult> plainFrontier() {
    return settings.stream()
        .filter(s -> !s.isCached())
        .sorted((a, b) -> Double.compare(a.secondsPerImage(), b.secondsPerImage()))
        .toList();
  }

  /**
   * The FID the plain DDIM line reaches at {@code secondsPerImage}, by linear interpolation between
   * the two plain settings around it; empty outside the measured range (no extrapolation: it would
   * invent a number).
   */
  public Optional<Double> plainFidAtLatency(double secondsPerImage) {
    List<SettingResult> line = plainFrontier();
    for (int i = 0; i < line.size(); i++) {
      SettingResult p = line.get(i);
      if (p.secondsPerImage() == secondsPerImage) {
        return Optional.of(p.fid());
      }
      if (i + 1 < line.size()) {
        SettingResult q = line.get(i + 1);
        if (p.secondsPerImage() < secondsPerImage && secondsPerImage < q.secondsPerImage()) {
          double w =
              (secondsPerImage - p.secondsPerImage()) / (q.secondsPerImage() - p.secondsPerImage());
          return Optional.of(p.fid() + w * (q.fid() - p.fid()));
        }
      }
    }
    return Optional.empty();
  }
}
