package org.l2cbeam.pipelines.study;

import java.util.List;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * One run of the {@code benchmark} pipeline within a study, into its own folder {@code
 * pieces/<id>}.
 *
 * @param id file-safe name, e.g. {@code l2c-ddim20-it200-lr0.05}
 * @param role what the piece contributes
 * @param steps the DDIM step count it caches
 * @param config the router configuration it trains, or null for a baseline piece (and for the
 *     frontier piece, which reuses the best screened router)
 * @param args the pipeline options, exactly as {@code l2c pipeline benchmark} takes them
 */
public record StudyPiece(
    String id, Role role, int steps, @Nullable RouterConfig config, List<String> args) {
  /** What a piece contributes to the study. */
  public enum Role {
    /** Plain DDIM at every step count the comparisons need, and the non-learned schedules. */
    BASELINES,
    /** One router configuration, trained and sampled at the screening budgets. */
    ROUTER,
    /** The best router of the main step count at the remaining budgets. */
    FRONTIER
  }

  public StudyPiece {
    args = List.copyOf(args);
  }
}
