package org.l2cbeam.pipelines.trainrouter;

import org.apache.beam.sdk.options.Description;
import org.apache.beam.sdk.options.Validation;

/** Options of the {@code train-router} pipeline ({@code l2c pipeline train-router}). */
public interface TrainRouterOptions extends RouterTrainingOptions {
  @Description(
      "The router JSON to write (local or gs://); written to a temporary name, then renamed")
  @Validation.Required
  String getOutput();

  void setOutput(String output);
}
