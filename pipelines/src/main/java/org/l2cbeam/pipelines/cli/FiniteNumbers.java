package org.l2cbeam.pipelines.cli;

import picocli.CommandLine;

/**
 * The command line's half of the finite-value rule: a {@code double} option ({@code --cfg-scale},
 * {@code --theta}, {@code --lr}, ...) must be a finite number. Java parses "NaN" and "Infinity",
 * and a NaN guidance weight would silently switch guidance off ({@code NaN > 1} is false);
 * picocli's error names the option.
 */
final class FiniteNumbers {
  private FiniteNumbers() {}

  static void register(CommandLine cli) {
    cli.registerConverter(Double.class, FiniteNumbers::parse);
    cli.registerConverter(Double.TYPE, FiniteNumbers::parse);
  }

  static Double parse(String text) {
    double v;
    try {
      v = Double.parseDouble(text.trim());
    } catch (NumberFormatException e) {
      throw new CommandLine.TypeConversionException("'" + text + "' is not a number");
    }
    if (!Double.isFinite(v)) {
      throw new CommandLine.TypeConversionException("'" + text + "' is not a finite number");
    }
    return v;
  }
}
