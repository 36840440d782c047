package org.l2cbeam.beam;

import java.util.Locale;

/**
 * Guards in the style of Guava's {@code Preconditions}, as Beam's own transforms write them: {@code
 * checkArgument(steps > 0, "CachedSample.withSteps: must be positive, got %s", steps)}. Transforms
 * name the setter in the message, so a pipeline author knows which call to fix. (Beam's vendored
 * Guava changes its package with every Beam release, and the build compiles against two; these two
 * methods are all the transforms need.)
 */
final class ArgumentChecks {
  private ArgumentChecks() {}

  /** Throws {@link IllegalArgumentException} with the formatted message unless {@code ok}. */
  static void checkArgument(boolean ok, String template, Object... args) {
    if (!ok) throw new IllegalArgumentException(String.format(Locale.ROOT, template, args));
  }

  /**
   * Returns {@code value}, or throws {@link IllegalArgumentException} with the message if it is
   * null.
   */
  static <T> T checkNotNull(T value, String message) {
    if (value == null) throw new IllegalArgumentException(message);
    return value;
  }
}
