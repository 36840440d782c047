package org.l2cbeam.beam;

import java.io.PrintStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.TreeMap;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.metrics.DistributionResult;
import org.apache.beam.sdk.metrics.GaugeResult;
import org.apache.beam.sdk.metrics.MetricQueryResults;
import org.apache.beam.sdk.metrics.MetricResult;
import org.apache.beam.sdk.metrics.MetricsFilter;

/**
 * Shows a running pipeline's progress from the transforms' Beam metrics, then its final metrics:
 * what a user of a long local run, a notebook or a CLI wants to see, read the same way on every
 * runner. One line attaches it:
 *
 * <pre>{@code
 * PipelineResult.State state = PipelineProgress.watch(p.run());   // progress on stderr every 10 s, then the metrics
 * }</pre>
 *
 * <p>While the pipeline runs it prints, whenever it changed, one line of the l2c counters (router
 * iterations, images sampled, images scored; against a total where {@link #expect} gave one) and
 * the latest router training figures (cache step, loss, iterations per second). When the pipeline
 * ends it prints every l2c metric: counters, the gauges decoded (TrainRouter's {@code
 * cacheStepK.lossE9} as {@code cacheStepK.loss}, {@code itPerSecE3} as {@code itPerSec}) and the
 * distributions (count, mean, min, max; e.g. {@code batchMillis}, {@code imagesPerSecond}). A
 * runner that reports no metrics while running (some do only at the end) gets a line that says so.
 *
 * <p>On the DirectRunner, run the pipeline with {@code --blockOnRun=false} (or {@code
 * options.as(DirectOptions.class).setBlockOnRun(false)}), else {@code p.run()} returns only when it
 * is over and only the final metrics are left to show.
 */
public final class PipelineProgress {
  /** Where the l2c transforms' metrics live. */
  private static final String NAMESPACE_PREFIX = "org.l2cbeam.";

  /** A counter to follow, summed over steps, with its label and expected total (0: unknown). */
  private record Followed(String namespace, String name, String label, long total) {}

  private final PrintStream out;
  private final PrintStream summaryOut;
  private final Duration every;
  private final String tag;
  private final List<Followed> followed;

  private PipelineProgress(
      PrintStream out,
      PrintStream summaryOut,
      Duration every,
      String tag,
      List<Followed> followed) {
    this.out = out;
    this.summaryOut = summaryOut;
    this.every = every;
    this.tag = tag;
    this.followed = List.copyOf(followed);
  }

  /**
   * Prints {@code result}'s progress to stderr every 10 seconds until it ends, then its final
   * metrics; returns the terminal state (a failed pipeline throws, as {@code waitUntilFinish}
   * does).
   */
  public static PipelineResult.State watch(PipelineResult result) {
    return to(System.err).watchUntilFinish(result);
  }

  /**
   * A reporter printing to {@code out}, every 10 seconds, following the usual counters: router
   * iterations, images sampled, images scored.
   */
  public static PipelineProgress to(PrintStream out) {
    if (out == null) throw new IllegalArgumentException("PipelineProgress.to: the stream is null");
    List<Followed> usual =
        List.of(
            new Followed(TrainRouter.class.getName(), "iterations", "router iterations", 0),
            new Followed(CachedSample.class.getName(), "images", "images sampled", 0),
            new Followed(ComputeFID.class.getName(), "imagesFeaturised", "images scored", 0));
    return new PipelineProgress(out, out, Duration.ofSeconds(10), "[l2c]", usual);
  }

  /** Prints at most this often (default 10 s); a line is printed only when it changed. */
  public PipelineProgress every(Duration interval) {
    if (interval == null || interval.isNegative() || interval.isZero()) {
      throw new IllegalArgumentException(
          "PipelineProgress.every: the interval must be positive, got " + interval);
    }
    return new PipelineProgress(out, summaryOut, interval, tag, followed);
  }

  /** The prefix of every printed line (default {@code [l2c]}). */
  public PipelineProgress tag(String prefix) {
    return new PipelineProgress(out, summaryOut, every, prefix == null ? "" : prefix, followed);
  }

  /**
   * Prints the final state and metrics to {@code stream} instead (e.g. progress on stderr, results
   * on stdout).
   */
  public PipelineProgress summaryTo(PrintStream stream) {
    if (stream == null)
      throw new IllegalArgumentException("PipelineProgress.summaryTo: the stream is null");
    return new PipelineProgress(out, stream, every, tag, followed);
  }

  /**
   * Shows counter {@code name} of {@code transform} (summed over every step that applied it) as
   * {@code label} against {@code total}, e.g. {@code expect(CachedSample.class, "images", "images
   * sampled", 300)}. A counter that is already followed gets the new label and total.
   */
  public PipelineProgress expect(Class<?> transform, String name, String label, long total) {
    if (total < 0)
      throw new IllegalArgumentException(
          "PipelineProgress.expect: total must be >= 0, got " + total);
    List<Followed> next = new ArrayList<>();
    Followed added = new Followed(transform.getName(), name, label, total);
    boolean replaced = false;
    for (Followed f : followed) {
      boolean same = f.namespace().equals(added.namespace()) && f.name().equals(name);
      next.add(same ? added : f);
      replaced |= same;
    }
    if (!replaced) next.add(added);
    return new PipelineProgress(out, summaryOut, every, tag, next);
  }

  /**
   * Polls {@code result} until it is in a terminal state, printing a progress line whenever it
   * changed, then prints the final metrics ({@link #summary}); returns the terminal state.
   */
  public PipelineResult.State watchUntilFinish(PipelineResult result) {
    long start = System.nanoTime();
    String last = "";
    while (true) {
      PipelineResult.State state =
          result.waitUntilFinish(org.joda.time.Duration.millis(every.toMillis()));
      boolean done = state != null && state.isTerminal();
      String line = progressLine(result);
      if (done || !line.equals(last)) {
        out.printf(Locale.ROOT, "%s %4.0f s  %s%n", tag, (System.nanoTime() - start) / 1e9, line);
        last = line;
      }
      if (done) {
        summaryOut.printf(
            Locale.ROOT,
            "%s pipeline %s after %.1f s%n",
            tag,
            state,
            (System.nanoTime() - start) / 1e9);
        summaryOut.print(summary(result));
        return state;
      }
    }
  }

  /** The one-line view: followed counters, and the router training gauge updated last. */
  String progressLine(PipelineResult result) {
    MetricQueryResults metrics;
    try {
      metrics = result.metrics().queryMetrics(MetricsFilter.builder().build());
    } catch (UnsupportedOperationException e) {
      return "(this runner reports no metrics while running)";
    }
    List<String> parts = new ArrayList<>();
    for (Followed f : followed) {
      long done = 0;
      boolean seen = false;
      for (MetricResult<Long> c : metrics.getCounters()) {
        if (c.getName().getNamespace().equals(f.namespace())
            && c.getName().getName().equals(f.name())) {
          done += c.getAttempted();
          seen = true;
        }
      }
      if (f.total() > 0) {
        parts.add(
            String.format(
                Locale.ROOT, "%s %d/%d", f.label(), Math.min(done, f.total()), f.total()));
      } else if (seen) {
        parts.add(String.format(Locale.ROOT, "%s %d", f.label(), done));
      }
    }
    String training = latestTraining(metrics);
    if (!training.isEmpty()) parts.add(training);
    return parts.isEmpty() ? "(no l2c metrics yet)" : String.join(", ", parts);
  }

  /** "router step K loss L, S it/s" from the TrainRouter gauges set last; empty if none. */
  private static String latestTraining(MetricQueryResults metrics) {
    MetricResult<GaugeResult> latestLoss = null;
    for (MetricResult<GaugeResult> g : metrics.getGauges()) {
      if (!g.getName().getNamespace().equals(TrainRouter.class.getName())) continue;
      if (!g.getName().getName().endsWith(".lossE9")) continue;
      if (latestLoss == null
          || g.getAttempted().getTimestamp().isAfter(latestLoss.getAttempted().getTimestamp())) {
        latestLoss = g;
      }
    }
    if (latestLoss == null) return "";
    String step = latestLoss.getName().getName().replace(".lossE9", "");
    double speed = Double.NaN;
    for (MetricResult<GaugeResult> g : metrics.getGauges()) {
      if (g.getName().getNamespace().equals(TrainRouter.class.getName())
          && g.getName().getName().equals(step + ".itPerSecE3")) {
        speed = g.getAttempted().getValue() / 1e3;
      }
    }
    return "router "
        + step.replace("cacheStep", "step ")
        + " loss "
        + decimal(latestLoss.getAttempted().getValue() / 1e9)
        + ", "
        + (Double.isNaN(speed) ? "?" : decimal(speed))
        + " it/s";
  }

  /**
   * Every l2c metric of {@code result}, one per line: counters ({@code Transform.name = value}),
   * gauges decoded ({@code lossE9} → {@code loss}, {@code itPerSecE3} → {@code itPerSec}) and
   * distributions ({@code count, mean, min, max}). Empty, or one line saying so, if the runner
   * reports none.
   */
  public static String summary(PipelineResult result) {
    MetricQueryResults metrics;
    try {
      metrics = result.metrics().queryMetrics(MetricsFilter.builder().build());
    } catch (UnsupportedOperationException e) {
      return "  (this runner reports no metrics)\n";
    }
    TreeMap<String, String> lines = new TreeMap<>(NATURAL);
    for (MetricResult<Long> c : metrics.getCounters()) {
      if (!ours(c)) continue;
      lines.merge(
          key(c),
          Long.toString(c.getAttempted()),
          (a, b) -> Long.toString(Long.parseLong(a) + Long.parseLong(b)));
    }
    for (MetricResult<GaugeResult> g : metrics.getGauges()) {
      if (!ours(g)) continue;
      String name = key(g);
      double scale = scale(name);
      lines.put(
          name.substring(0, name.length() - (scale == 1 ? 0 : 2)),
          decimal(g.getAttempted().getValue() / scale));
    }
    for (MetricResult<DistributionResult> d : metrics.getDistributions()) {
      if (!ours(d)) continue;
      DistributionResult r = d.getAttempted();
      if (r.getCount() == 0) continue;
      lines.put(
          key(d),
          String.format(
              Locale.ROOT,
              "count %d, mean %.1f, min %d, max %d",
              r.getCount(),
              r.getMean(),
              r.getMin(),
              r.getMax()));
    }
    StringBuilder sb = new StringBuilder();
    lines.forEach(
        (name, value) -> sb.append("  ").append(name).append(" = ").append(value).append('\n'));
    return sb.toString();
  }

  /** Six significant digits, no exponent, no trailing zeros: 0.309622, 1.743, 12. */
  static String decimal(double v) {
    if (!Double.isFinite(v)) return Double.toString(v);
    return new java.math.BigDecimal(v)
        .round(new java.math.MathContext(6))
        .stripTrailingZeros()
        .toPlainString();
  }

  private static boolean ours(MetricResult<?> m) {
    return m.getName().getNamespace().startsWith(NAMESPACE_PREFIX);
  }

  /** {@code CachedSample.images}: the transform's simple name and the metric's. */
  private static String key(MetricResult<?> m) {
    String ns = m.getName().getNamespace();
    return ns.substring(ns.lastIndexOf('.') + 1) + "." + m.getName().getName();
  }

  /** Beam metrics are integers: a name ending in E9 or E3 holds the value times 1e9 or 1e3. */
  private static double scale(String name) {
    if (name.endsWith("E9")) return 1e9;
    if (name.endsWith("E3")) return 1e3;
    return 1;
  }

  /** Orders "cacheStep2" before "cacheStep10": digit runs compare as numbers. */
  private static final Comparator<String> NATURAL =
      (a, b) -> {
        int i = 0;
        int j = 0;
        while (i < a.length() && j < b.length()) {
          char x = a.charAt(i);
          char y = b.charAt(j);
          if (Character.isDigit(x) && Character.isDigit(y)) {
            int i2 = i;
            int j2 = j;
            while (i2 < a.length() && Character.isDigit(a.charAt(i2))) i2++;
            while (j2 < b.length() && Character.isDigit(b.charAt(j2))) j2++;
            String m = a.substring(i, i2).replaceFirst("^0+(?=.)", "");
            String n = b.substring(j, j2).replaceFirst("^0+(?=.)", "");
            int c =
                m.length() != n.length() ? Integer.compare(m.length(), n.length()) : m.compareTo(n);
            if (c != 0) return c;
            i = i2;
            j = j2;
          } else {
            if (x != y) return Character.compare(x, y);
            i++;
            j++;
          }
        }
        return Integer.compare(a.length() - i, b.length() - j);
      };
}
