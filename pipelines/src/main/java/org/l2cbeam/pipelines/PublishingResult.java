package org.l2cbeam.pipelines;

import java.io.IOException;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.metrics.MetricResults;
import org.joda.time.Duration;

/**
 * A running pipeline whose end is acted on once, whoever waits for it: a run that ends {@code DONE}
 * gets its success marker ({@link PipelineOutputs#commit}); any other end, or a failure thrown by
 * the runner, removes what the run published ({@link PipelineOutputs#rollback}).
 */
final class PublishingResult implements PipelineResult {
  private final PipelineResult delegate;
  private final PipelineOutputs outputs;
  private final long startMillis;
  private boolean settled;

  private PublishingResult(PipelineResult delegate, PipelineOutputs outputs, long startMillis) {
    this.delegate = delegate;
    this.outputs = outputs;
    this.startMillis = startMillis;
  }

  /**
   * Runs {@code p}; a runner that fails at once (the DirectRunner when it blocks) has its files
   * removed too.
   */
  static PipelineResult run(Pipeline p, PipelineOutputs outputs) {
    // File times have a coarse grain on some file systems: count anything from the last second as
    // this run's.
    long start = System.currentTimeMillis() - 1000;
    PipelineResult r;
    try {
      r = p.run();
    } catch (RuntimeException | Error e) {
      outputs.rollback(start);
      throw e;
    }
    return new PublishingResult(r, outputs, start);
  }

  @Override
  public State getState() {
    return delegate.getState();
  }

  @Override
  public State cancel() throws IOException {
    State s = delegate.cancel();
    settle(s);
    return s;
  }

  @Override
  public State waitUntilFinish(Duration duration) {
    return settle(() -> delegate.waitUntilFinish(duration));
  }

  @Override
  public State waitUntilFinish() {
    return settle(delegate::waitUntilFinish);
  }

  @Override
  public MetricResults metrics() {
    return delegate.metrics();
  }

  private State settle(java.util.function.Supplier<State> wait) {
    State s;
    try {
      s = wait.get();
    } catch (RuntimeException | Error e) {
      settle(State.FAILED);
      throw e;
    }
    settle(s);
    return s;
  }

  private synchronized void settle(State s) {
    if (settled || s == null || !s.isTerminal()) return;
    settled = true;
    if (s == State.DONE) {
      try {
        outputs.commit();
      } catch (RuntimeException e) {
        outputs.rollback(startMillis);
        throw e;
      }
    } else {
      outputs.rollback(startMillis);
    }
  }
}
