package org.l2cbeam.pipelines;

import java.io.PrintStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.metrics.MetricNameFilter;
import org.apache.beam.sdk.metrics.MetricResult;
import org.apache.beam.sdk.metrics.MetricsFilter;

/**
 * Prints a running pipeline's progress from its Beam counters (e.g. router iterations, images sampled) every few
 * seconds until it ends: what a user of a long local run wants to see, read the same way on every runner.
 */
public final class PipelineProgress {
  /** One counter to follow, summed over steps, against its expected total. */
  public record Counter(String namespace, String name, String label, long total) {}

  private final PrintStream out;
  private final String tag;
  private final List<Counter> counters;

  public PipelineProgress(PrintStream out, String tag, List<Counter> counters) {
    this.out = out;
    this.tag = tag;
    this.counters = List.copyOf(counters);
  }

  /** Polls until the pipeline is in a terminal state; returns that state. */
  public PipelineResult.State watch(PipelineResult result, Duration every) {
    long start = System.nanoTime();
    String last = "";
    while (true) {
      PipelineResult.State state = result.waitUntilFinish(org.joda.time.Duration.millis(every.toMillis()));
      boolean done = state != null && state.isTerminal();
      String line = line(result);
      if (done || !line.equals(last)) {
        out.printf(Locale.ROOT, "%s %4.0f s  %s%n", tag, (System.nanoTime() - start) / 1e9, line);
        last = line;
      }
      if (done) return state;
    }
  }

  private String line(PipelineResult result) {
    List<String> parts = new ArrayList<>();
    for (Counter c : counters) {
      long done = 0;
      try {
        Iterable<MetricResult<Long>> found =
            result.metrics().queryMetrics(
                MetricsFilter.builder().addNameFilter(MetricNameFilter.named(c.namespace(), c.name())).build())
                .getCounters();
        for (MetricResult<Long> r : found) done += r.getAttempted();
      } catch (UnsupportedOperationException e) {
        return "(this runner reports no metrics while running)";
      }
      parts.add(String.format(Locale.ROOT, "%s %d/%d", c.label(), Math.min(done, c.total()), c.total()));
    }
    return String.join(", ", parts);
  }
}
