package org.l2cbeam.pipelines.benchmark;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.checkerframework.checker.nullness.qual.Nullable;
import org.l2cbeam.core.router.UniformSchedule;
import org.l2cbeam.pipelines.report.SettingResult;

/**
 * How a benchmark setting samples: plain, with the learned L2C router, or with one of the
 * non-learned {@link UniformSchedule}s at the same MAC budgets (what learning buys is the
 * difference between those two).
 */
enum SettingMethod {
  PLAIN(SettingResult.PLAIN, "", null),
  L2C(SettingResult.L2C, "l2c", null),
  SAME_UNITS(SettingResult.SAME_UNITS, "units", UniformSchedule.Kind.SAME_UNITS),
  WHOLE_STEPS(SettingResult.WHOLE_STEPS, "steps", UniformSchedule.Kind.WHOLE_STEPS);

  private final String id;
  private final String nameTag;
  private final UniformSchedule.@Nullable Kind uniform;

  SettingMethod(String id, String nameTag, UniformSchedule.@Nullable Kind uniform) {
    this.id = id;
    this.nameTag = nameTag;
    this.uniform = uniform;
  }

  /**
   * The report's method id ({@code ddim}, {@code l2c}, {@code same-units}, {@code whole-steps}).
   */
  String id() {
    return id;
  }

  /** What setting names carry, e.g. {@code ddim20-units25}. */
  String nameTag() {
    return nameTag;
  }

  /** The non-learned schedule, or null for plain and L2C. */
  UniformSchedule.@Nullable Kind uniform() {
    return uniform;
  }

  /**
   * The cached methods named in {@code --methods}: l2c, same-units, whole-steps (comma-separated,
   * not empty).
   */
  static List<SettingMethod> parseCached(String option, String list) {
    if (list == null || list.isBlank()) {
      throw new IllegalArgumentException(
          option + ": name at least one of l2c, same-units, whole-steps");
    }
    List<SettingMethod> methods = new ArrayList<>();
    for (String part : list.split(",")) {
      String id = part.trim();
      SettingMethod m =
          Arrays.stream(values())
              .filter(v -> v != PLAIN && v.id.equals(id))
              .findFirst()
              .orElseThrow(
                  () ->
                      new IllegalArgumentException(
                          option
                              + ": '"
                              + id
                              + "' is not a cached method; use l2c, same-units or whole-steps"));
      if (methods.contains(m))
        throw new IllegalArgumentException(option + ": '" + id + "' is given twice");
      methods.add(m);
    }
    return methods;
  }
}
