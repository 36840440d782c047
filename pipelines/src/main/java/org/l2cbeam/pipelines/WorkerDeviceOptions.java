package org.l2cbeam.pipelines;

import org.apache.beam.sdk.options.Default;
import org.apache.beam.sdk.options.Description;
import org.apache.beam.sdk.options.PipelineOptions;
import org.l2cbeam.core.runtime.ComputeDevice;

/**
 * {@code --device}: where the workers run the pipeline's models. Resolved on each worker, not on
 * the launcher: a Dataflow launcher has no GPU, its GPU workers do.
 */
public interface WorkerDeviceOptions extends PipelineOptions {
  @Description(
      "Where the workers run the models: auto (the default: the first GPU a worker's engine sees, else its"
          + " CPU), cpu, gpu or gpu:N. A GPU needs the CUDA build (mvn -Pcuda) and fails on a worker that does not see"
          + " it; on a GPU the models run the plain kernels (the oneDNN ones are CPU-only)")
  @Default.String("auto")
  String getDevice();

  void setDevice(String device);

  /** The parsed {@code --device}; a bad value fails naming the option. */
  static ComputeDevice requestedDevice(WorkerDeviceOptions o) {
    return ComputeDevice.parse(o.getDevice(), "--device");
  }
}
