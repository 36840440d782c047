package org.l2cbeam.beam;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.lessThan;
import static org.junit.Assert.assertEquals;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.apache.beam.runners.direct.DirectOptions;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.metrics.Metrics;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.ParDo;
import org.junit.Test;

/**
 * The progress reporter on a real DirectRunner pipeline whose DoFn sets the metrics the transforms
 * set (TrainRouter's scaled gauges, CachedSample's counter and distribution): the running line and
 * the final summary show them decoded.
 */
public class PipelineProgressTest {
  /** Sets what a TrainRouter and a CachedSample would, for cache steps 2 and 10. */
  static final class FakeMetricsFn extends DoFn<Integer, Integer> {
    @ProcessElement
    public void process(@Element Integer k) {
      Metrics.counter(TrainRouter.class, "iterations").inc(5);
      Metrics.gauge(TrainRouter.class, "cacheStep" + k + ".lossE9").set(12_345_000L * k);
      Metrics.gauge(TrainRouter.class, "cacheStep" + k + ".itPerSecE3").set(1_500L);
      Metrics.counter(CachedSample.class, "images").inc(8);
      Metrics.distribution(CachedSample.class, "batchMillis").update(100L * k);
    }
  }

  @Test
  public void showsCountersGaugesAndDistributionsDecoded() {
    DirectOptions options = PipelineOptionsFactory.create().as(DirectOptions.class);
    options.setBlockOnRun(false);
    Pipeline p = Pipeline.create(options);
    p.apply(Create.of(10, 2)).apply(ParDo.of(new FakeMetricsFn()));
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8);

    PipelineResult.State state =
        PipelineProgress.to(out)
            .every(Duration.ofMillis(200))
            .tag("[t]")
            .expect(CachedSample.class, "images", "images sampled", 16)
            .watchUntilFinish(p.run());

    String printed = bytes.toString(StandardCharsets.UTF_8);
    assertEquals(PipelineResult.State.DONE, state);
    assertThat(printed, containsString("router iterations 10, images sampled 16/16, router step "));
    assertThat(printed, containsString("[t] pipeline DONE after"));
    assertThat(printed, containsString("  TrainRouter.iterations = 10\n"));
    assertThat(printed, containsString("  TrainRouter.cacheStep2.loss = 0.02469\n"));
    assertThat(printed, containsString("  TrainRouter.cacheStep10.loss = 0.12345\n"));
    assertThat(printed, containsString("  TrainRouter.cacheStep10.itPerSec = 1.5\n"));
    assertThat(printed, containsString("  CachedSample.images = 16\n"));
    assertThat(
        printed,
        containsString("  CachedSample.batchMillis = count 2, mean 600.0, min 200, max 1000\n"));
    // Natural order: cache step 2 before cache step 10.
    assertThat(printed.indexOf("cacheStep2.loss"), lessThan(printed.indexOf("cacheStep10.loss")));
  }

  @Test
  public void decimalsAreShortAndExact() {
    assertEquals("0.309622", PipelineProgress.decimal(0.309622));
    assertEquals("1.743", PipelineProgress.decimal(1.743));
    assertEquals("12", PipelineProgress.decimal(12.0));
    assertEquals("NaN", PipelineProgress.decimal(Double.NaN));
  }
}
