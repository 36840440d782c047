package org.l2cbeam.registry;

/**
 * What {@link RouterRegistry#publish} did.
 *
 * @param outcome whether the candidate became the latest
 * @param version the version holding the candidate's bytes (new, or the existing identical one)
 * @param expectedLatest the latest version the publisher expected (0: none)
 * @param latest the latest version after the call (0: none)
 */
public record PublishResult(Outcome outcome, int version, int expectedLatest, int latest) {

  /** The three ways a publish ends. */
  public enum Outcome {
    /** The candidate was stored as a new version and the latest pointer moved to it. */
    PUBLISHED,
    /** Identical bytes were already stored as {@link #version()}: nothing was written. */
    ALREADY_STORED,
    /**
     * The candidate was stored as a new version, but the latest pointer had moved on from {@link
     * #expectedLatest()} (another publisher won), so it was left alone: the candidate was judged
     * against a version that is no longer the latest. The version stays {@link
     * RegistryEntry.Status#UNPUBLISHED}.
     */
    CONFLICT
  }

  public boolean published() {
    return outcome == Outcome.PUBLISHED;
  }

  /** One line for logs and reports. */
  public String describe() {
    switch (outcome) {
      case PUBLISHED:
        return "published v"
            + version
            + (expectedLatest == 0 ? " (the first version)" : " (was v" + expectedLatest + ")");
      case ALREADY_STORED:
        return "nothing written: identical to the stored v"
            + version
            + (latest == version
                ? ", already the latest"
                : ", which is not the latest (v" + latest + "); roll back to" + " it to use it");
      default:
        return "latest moved from "
            + name(expectedLatest)
            + " to "
            + name(latest)
            + " while publishing; the candidate"
            + " is stored as v"
            + version
            + " but not published";
    }
  }

  private static String name(int v) {
    return v == 0 ? "none" : "v" + v;
  }
}
