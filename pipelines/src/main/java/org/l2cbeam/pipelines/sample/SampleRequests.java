package org.l2cbeam.pipelines.sample;

import java.util.ArrayList;
import java.util.List;
import org.l2cbeam.beam.SampleRequest;
import org.l2cbeam.core.diffusion.SeededNoise;

/**
 * Requests from the {@code --labels} and {@code --seeds} options: request i has id i, label i and
 * seed i.
 */
public final class SampleRequests {
  private SampleRequests() {}

  public static List<SampleRequest> parse(String labels, String seeds) {
    List<Long> labelList = numbers("--labels", labels);
    if (labelList.isEmpty()) {
      throw new IllegalArgumentException("--labels: no labels given");
    }
    List<Long> seedList = numbers("--seeds", seeds == null || seeds.isBlank() ? "0" : seeds);
    if (seedList.size() != 1 && seedList.size() != labelList.size()) {
      throw new IllegalArgumentException(
          "--seeds: give one base seed or one seed per label ("
              + labelList.size()
              + "), got "
              + seedList.size());
    }
    if (seedList.size() == 1) {
      try {
        SeededNoise.checkConsecutive(seedList.get(0), labelList.size());
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("--seeds: " + e.getMessage(), e);
      }
    }
    List<SampleRequest> out = new ArrayList<>();
    for (int i = 0; i < labelList.size(); i++) {
      long label = labelList.get(i);
      if (label < 0 || label > Integer.MAX_VALUE) {
        throw new IllegalArgumentException("--labels: label " + label + " is not a class index");
      }
      long seed = seedList.size() == 1 ? seedList.get(0) + i : seedList.get(i);
      out.add(SampleRequest.of(i, (int) label, seed));
    }
    return out;
  }

  private static List<Long> numbers(String option, String csv) {
    List<Long> out = new ArrayList<>();
    for (String part : csv.split(",")) {
      String s = part.trim();
      if (s.isEmpty()) continue;
      try {
        out.add(Long.parseLong(s));
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException(option + ": '" + s + "' is not an integer");
      }
    }
    return out;
  }
}
