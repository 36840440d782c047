package org.l2cbeam.pipelines.retrain;

import org.apache.beam.sdk.options.Default;
import org.apache.beam.sdk.options.Description;
import org.apache.beam.sdk.options.Validation;
import org.l2cbeam.pipelines.trainrouter.RouterTrainingOptions;

/** Options of the {@code retrain} pipeline ({@code l2c pipeline retrain}, {@code l2c retrain}). */
public interface RetrainOptions extends RouterTrainingOptions {
  @Description(
      "The router registry: gs://BUCKET/PREFIX or a local directory; the candidate is published there if it"
          + " passes the gate")
  @Validation.Required
  String getRegistry();

  void setRegistry(String registry);

  @Description("Folder for the report (retrain-report.json and retrain-report.md), local or gs://")
  @Validation.Required
  String getOutput();

  void setOutput(String output);

  @Description(
      "Fraction of the sampling run's MACs both routers remove on the probes (theta chosen per router)")
  @Default.Double(0.25)
  double getProbeMacsRemoved();

  void setProbeMacsRemoved(double fraction);

  @Description("Gate: publish only if FID(candidate) <= FID(current latest) + this")
  @Default.Double(0.0)
  double getTolerance();

  void setTolerance(double tolerance);

  @Description(
      "Probe requests both routers sample (request i: label i mod --probe-classes, seed --probe-seed + i)")
  @Default.Integer(100)
  int getProbeCount();

  void setProbeCount(int count);

  @Description("Classes the probe labels cycle through (at most the model's class count)")
  @Default.Integer(10)
  int getProbeClasses();

  void setProbeClasses(int classes);

  @Description(
      "Seed of the first probe request; the same probes every run, so FIDs compare across runs")
  @Default.Long(20_000)
  long getProbeSeed();

  void setProbeSeed(long seed);

  @Description("Classifier-free guidance scale of the probe samples (1 = none)")
  @Default.Double(1.5)
  double getProbeCfgScale();

  void setProbeCfgScale(double scale);

  @Description("FID reference statistics: builtin:fmnist-test-stats or an .npz with mu and sigma")
  @Default.String("builtin:fmnist-test-stats")
  String getReferenceStats();

  void setReferenceStats(String stats);

  @Description("FID feature extractor: fmnist or inception")
  @Default.String("fmnist")
  String getExtractor();

  void setExtractor(String extractor);

  @Description("Inception weights (a TorchScript file) for --extractor=inception")
  String getWeights();

  void setWeights(String weights);

  @Description(
      "Start training from the registry's latest router for this model and sampling steps instead of from the"
          + " seed's routers (nothing published yet: from the seed); the published manifest records the version")
  @Default.Boolean(false)
  boolean getWarmStart();

  void setWarmStart(boolean warmStart);

  @Description(
      "Stable-Diffusion VAE that decodes a latent model's probe samples to images for FID (required for"
          + " latent models such as DiT-XL/2 and U-ViT-H/2)")
  String getVae();

  void setVae(String vae);

  @Description("Training examples read from --data (0 = all)")
  @Default.Integer(0)
  int getDataLimit();

  void setDataLimit(int limit);
}
