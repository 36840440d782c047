package org.l2cbeam.pipelines.sample;

import org.l2cbeam.pipelines.ModelKernelOptions;
import org.apache.beam.sdk.options.Default;
import org.apache.beam.sdk.options.Description;
import org.apache.beam.sdk.options.Validation;

/** Options of the {@code sample} pipeline ({@code l2c pipeline sample}, or the Flex Template of the same name). */
public interface SampleOptions extends ModelKernelOptions {
  @Description("DiT checkpoint: a local path, gs://..., or builtin:fmnist-dit")
  @Default.String("builtin:fmnist-dit")
  String getModel();

  void setModel(String model);

  @Description("Class labels, comma-separated: one sample per label, in this order (e.g. 0,1,2,3)")
  @Validation.Required
  String getLabels();

  void setLabels(String labels);

  @Description("Seeds: one per label (comma-separated), or one base seed K meaning K, K+1, ...")
  @Default.String("0")
  String getSeeds();

  void setSeeds(String seeds);

  @Description("Sampling steps (must equal the router's step count when --router is given)")
  @Default.Integer(20)
  int getSteps();

  void setSteps(int steps);

  @Description("Sampler: ddim (eta 0, what L2C routers are trained for) or ddpm")
  @Default.String("ddim")
  String getSampler();

  void setSampler(String sampler);

  @Description("Classifier-free guidance scale; 1 = no guidance")
  @Default.Double(1.0)
  double getCfgScale();

  void setCfgScale(double scale);

  @Description("Guided channels: auto (DiT's rule: first 3 if the model has 3+), 3 or all")
  @Default.String("auto")
  String getGuidedChannels();

  void setGuidedChannels(String channels);

  @Description("Optional L2C router: our JSON artifact, an official router checkpoint, or registry+LOCATION (the latest"
      + " router a registry publishes for this model, e.g. registry+gs://bucket/routers; registry+LOCATION#vN for a"
      + " fixed version); none = plain sampler")
  String getRouter();

  void setRouter(String router);

  @Description("Threshold theta in (0, 1) for the router (default: the router's own)")
  Double getTheta();

  void setTheta(Double theta);

  @Description("Stable-Diffusion VAE (either weight layout) that decodes a latent model's samples to images")
  String getVae();

  void setVae(String vae);

  @Description("Requests per batch: a memory/throughput knob that never changes the images")
  @Default.Integer(8)
  int getBatchSize();

  void setBatchSize(int batchSize);

  @Description("Output directory (local or gs://): samples.npz (arr_0, uint8 NHWC, request order) and samples.png")
  @Validation.Required
  String getOutput();

  void setOutput(String output);
}
