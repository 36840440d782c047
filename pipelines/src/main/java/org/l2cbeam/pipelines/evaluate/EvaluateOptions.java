package org.l2cbeam.pipelines.evaluate;

import org.apache.beam.sdk.options.Default;
import org.apache.beam.sdk.options.Description;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.options.Validation;
import org.l2cbeam.pipelines.WorkerDeviceOptions;

/**
 * Options of the {@code evaluate} pipeline ({@code l2c pipeline evaluate}): the FID of a sample set
 * against stats.
 */
public interface EvaluateOptions extends PipelineOptions, WorkerDeviceOptions {
  @Description(
      "Images to score: a samples .npz (arr_0, uint8 NHWC; local or gs://), a folder of images, an IDX file, a"
          + " Fashion-MNIST directory or builtin:fashion-mnist")
  @Validation.Required
  String getSamples();

  void setSamples(String samples);

  @Description("Split of a Fashion-MNIST directory or builtin:fashion-mnist: t10k or train")
  @Default.String("t10k")
  String getSplit();

  void setSplit(String split);

  @Description(
      "Reference statistics: an .npz with mu and sigma (pytorch-fid's, an ADM reference batch, l2c fid stats output)"
          + " or builtin:fmnist-test-stats")
  @Default.String("builtin:fmnist-test-stats")
  String getReferenceStats();

  void setReferenceStats(String referenceStats);

  @Description(
      "Feature extractor: fmnist (the bundled Fashion-MNIST net, 128-d) or inception (pytorch-fid, 2048-d)")
  @Default.String("fmnist")
  String getExtractor();

  void setExtractor(String extractor);

  @Description(
      "Extractor weights: for inception, pt_inception-2015-12-05-6726825d.pth (or hash:SEED for random weights);"
          + " for fmnist, default builtin:fmnist-features")
  String getWeights();

  void setWeights(String weights);

  // Not "batchSize": Beam registers every pipeline's options in one JVM, and sample's batchSize has
  // another default.
  @Description("Images per feature-network call")
  @Default.Integer(50)
  int getFeatureBatchSize();

  void setFeatureBatchSize(int featureBatchSize);

  @Description(
      "Result file (JSON, written atomically); a path not ending in .json is a directory: DIR/fid.json")
  @Validation.Required
  String getOutput();

  void setOutput(String output);
}
