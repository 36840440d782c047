package org.l2cbeam.test;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;

import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.testing.PAssert;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.MapElements;
import org.apache.beam.sdk.transforms.Reshuffle;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.TypeDescriptors;
import org.junit.Test;

/**
 * The build really runs the pipeline tests on the runner it claims (DirectRunner, or embedded Flink
 * under -Pflink).
 */
public class RunnerSelectionPipelineIT {
  @Test
  public void pipelineRunsOnTheSelectedRunner() {
    Pipeline p = Pipeline.create(TestRunner.options());
    PCollection<Integer> squares =
        p.apply(Create.of(1, 2, 3, 4, 5, 6, 7, 8))
            .apply(Reshuffle.viaRandomKey())
            .apply(MapElements.into(TypeDescriptors.integers()).via((Integer x) -> x * x));
    PAssert.that(squares).containsInAnyOrder(1, 4, 9, 16, 25, 36, 49, 64);
    PipelineResult result = p.run();
    assertThat(result.waitUntilFinish(), equalTo(PipelineResult.State.DONE));
    String expected = TestRunner.isFlink() ? "Flink" : "Direct";
    assertThat(p.getOptions().getRunner().getSimpleName(), containsString(expected));
    assertThat(result.getClass().getName(), containsString(expected));
  }
}
