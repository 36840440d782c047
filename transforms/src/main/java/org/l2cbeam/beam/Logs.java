package org.l2cbeam.beam;

import java.util.Locale;

/** The formatting the transforms' log lines share. */
final class Logs {
  private Logs() {}

  /**
   * Seconds since {@code startNanos} ({@link System#nanoTime}), one decimal: for "... in 12.3 s".
   */
  static String seconds(long startNanos) {
    return String.format(Locale.ROOT, "%.1f", (System.nanoTime() - startNanos) / 1e9);
  }
}
