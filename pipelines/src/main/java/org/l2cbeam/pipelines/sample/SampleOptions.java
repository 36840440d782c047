package org.l2cbeam.pipelines.sample;

import org.apache.beam.sdk.options.Default;
import org.apache.beam.sdk.options.Description;
import org.apache.beam.sdk.options.Validation;
import org.l2cbeam.pipelines.ModelKernelOptions;

/**
 * Options of the {@code sample} pipeline ({@code l2c pipeline sample}, or the Flex Template of the
 * same name).
 */
public interface SampleOptions extends ModelKernelOptions {
  @Description(
      "DiT or U-ViT checkpoint (the family is read from its keys; a config.json beside it may give"
          + " num_heads): a local path, gs://..., or builtin:fmnist-dit")
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

  @Description(
      "Sampling steps: DDIM/DDPM steps for a DiT, network evaluations (NFE, even) for a U-ViT's DPM-Solver;"
          + " must equal the router's step count when --router is given")
  @Default.Integer(20)
  int getSteps();

  void setSteps(int steps);

  @Description(
      "Sampler: auto (the model family's: ddim for a DiT, dpm-solver for a U-ViT; what L2C routers are"
          + " trained for), ddim (eta 0), ddpm, or dpm-solver (DPM-Solver++(2S))")
  @Default.String("auto")
  String getSampler();

  void setSampler(String sampler);

  @Description("Classifier-free guidance scale; 1 = no guidance")
  @Default.Double(1.0)
  double getCfgScale();

  void setCfgScale(double scale);

  @Description(
      "DiT only: guided channels, auto (DiT's rule: first 3 if the model has 3+), 3 or all; a U-ViT always"
          + " guides every channel")
  @Default.String("auto")
  String getGuidedChannels();

  void setGuidedChannels(String channels);

  @Description(
      "Optional L2C router: our JSON artifact, an official router checkpoint (DiT's DDIM20_router.pt, U-ViT's"
          + " dpm20_router.pth), or registry+LOCATION (the latest router a registry publishes for this model, e.g."
          + " registry+gs://bucket/routers; registry+LOCATION#vN for a fixed version); none = plain sampler")
  String getRouter();

  void setRouter(String router);

  @Description(
      "Threshold theta in (0, 1) for the router (default: the router's own; DiT routers 0.1, U-ViT 0.9)")
  Double getTheta();

  void setTheta(Double theta);

  @Description(
      "Stable-Diffusion VAE (either weight layout) that decodes a latent model's samples to images (needed by"
          + " the official DiT and U-ViT checkpoints)")
  String getVae();

  void setVae(String vae);

  @Description("Requests per batch: a memory/throughput knob that never changes the images")
  @Default.Integer(8)
  int getBatchSize();

  void setBatchSize(int batchSize);

  @Description(
      "Output directory (local or gs://): samples.npz (arr_0, uint8 NHWC, request order) and samples.png")
  @Validation.Required
  String getOutput();

  void setOutput(String output);
}
