package org.l2cbeam.beam;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.allOf;
import static org.hamcrest.Matchers.containsString;
import static org.junit.Assert.assertThrows;

import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.transforms.display.DisplayData;
import org.junit.Test;

/**
 * ReadImages checks its location when the pipeline is built, or, without validation, when a worker
 * reads it.
 */
public class ReadImagesTest {
  private static Pipeline newPipeline() {
    return Pipeline.create(PipelineOptionsFactory.fromArgs("--runner=DirectRunner").create());
  }

  @Test
  public void aMissingLocationFailsAtExpandNotAtConstructionNamingIt() {
    ReadImages read = ReadImages.from("/no/such/samples.npz"); // reads nothing yet
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> newPipeline().apply(read));
    assertThat(
        e.getMessage(),
        allOf(containsString("ReadImages.from"), containsString("/no/such/samples.npz")));
    assertThat(
        assertThrows(IllegalArgumentException.class, () -> ReadImages.from(" ")).getMessage(),
        containsString("ReadImages.from"));
  }

  @Test
  public void withoutValidationTheRunFailsNamingTheLocation() {
    Pipeline p = newPipeline();
    p.apply(
        ReadImages.from("/no/such/samples.npz")
            .withoutValidation()); // expand checks nothing: no throw
    Exception e = assertThrows(Exception.class, () -> p.run().waitUntilFinish());
    assertThat(ComputeFIDTest.messages(e), containsString("/no/such/samples.npz"));
    assertThat(
        DisplayData.from(ReadImages.from("x").withoutValidation()).toString(),
        containsString("validate"));
  }
}
