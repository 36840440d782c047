package org.l2cbeam.pipelines.benchmark;

import org.apache.beam.sdk.options.Default;
import org.apache.beam.sdk.options.Description;
import org.apache.beam.sdk.options.Validation;
import org.l2cbeam.pipelines.ModelKernelOptions;

/**
 * Options of the {@code benchmark} pipeline ({@code l2c pipeline benchmark}; {@code l2c demo}
 * presets them).
 */
public interface BenchmarkOptions extends ModelKernelOptions {
  @Description(
      "DiT or U-ViT checkpoint: a local path, gs://..., or builtin:fmnist-dit (a remote one is planned as a"
          + " DiT: DDIM)")
  @Default.String("builtin:fmnist-dit")
  String getModel();

  void setModel(String model);

  @Description(
      "Step counts that get a router (DDIM steps for a DiT, DPM-Solver NFE for a U-ViT), comma-separated"
          + " (e.g. 20 or 20,50); the first is the main one")
  @Default.String("20")
  String getStepCounts();

  void setStepCounts(String steps);

  @Description(
      "Routers to use, one per --steps entry (our JSON or official checkpoints); none = train them on --data")
  String getRouters();

  void setRouters(String routers);

  @Description(
      "Router training data: builtin:fashion-mnist, an IDX directory or a latents .safetensors file")
  @Default.String("builtin:fashion-mnist")
  String getTrainData();

  void setTrainData(String data);

  @Description("Router training iterations per cache step")
  @Default.Long(40)
  long getTrainIterations();

  void setTrainIterations(long iterations);

  @Description("Router training examples per iteration")
  @Default.Integer(16)
  int getTrainBatch();

  void setTrainBatch(int batch);

  @Description("Router training AdamW learning rate")
  @Default.Double(0.05)
  double getTrainLr();

  void setTrainLr(double lr);

  @Description(
      "Router L1 weight lambda (default: the authors' value for the family and step count)")
  Double getLambda();

  void setLambda(Double lambda);

  @Description(
      "Fractions of each run's MACs the cached settings remove, comma-separated, each in (0, 1)")
  @Default.String("0.25,0.40")
  String getMacsRemoved();

  void setMacsRemoved(String fractions);

  @Description(
      "Cached methods sampled at each MAC budget, comma-separated: l2c (the learned router), same-units (the"
          + " same units reused at every cache step, cheapest first) and whole-steps (every unit reused at cache steps"
          + " spread over the run); the last two are not learned and show what learning buys")
  @Default.String("l2c")
  String getMethods();

  void setMethods(String methods);

  @Description(
      "Request sets (seed blocks) of --samples-per-setting requests each; every set gets its own FID, and the"
          + " report gives each FID as mean ± standard error and each cached setting's difference to the plain sampler"
          + " with the same MACs, set by set")
  @Default.Integer(1)
  int getRequestSets();

  void setRequestSets(int sets);

  @Description(
      "report.json files of earlier runs with the same model, reference statistics, CFG scale, requests and"
          + " conditions, comma-separated: plain settings found there are taken from them instead of being sampled again")
  String getKnownResults();

  void setKnownResults(String files);

  @Description(
      "Extra plain step counts (DDIM or DPM-Solver NFE) for the speed/quality frontier, comma-separated"
          + " (may be empty)")
  @Default.String("")
  String getPlainSteps();

  void setPlainSteps(String steps);

  @Description(
      "Requests per setting and request set: in set j, request i has label i % classes and seed --seed +"
          + " j * --samples-per-setting + i")
  @Default.Integer(300)
  int getSamplesPerSetting();

  void setSamplesPerSetting(int samples);

  @Description("Seed of the requests and of router training")
  @Default.Long(0)
  long getSeed();

  void setSeed(long seed);

  @Description("Classifier-free guidance scale, all channels guided (1 = none; the demo uses 1.5)")
  @Default.Double(1.0)
  double getCfgScale();

  void setCfgScale(double scale);

  @Description("Requests per model call (the images depend on it; the timing too)")
  @Default.Integer(100)
  int getModelBatch();

  void setModelBatch(int batchSize);

  @Description("FID reference statistics (.npz or builtin:fmnist-test-stats)")
  @Default.String("builtin:fmnist-test-stats")
  String getReferenceStats();

  void setReferenceStats(String stats);

  @Description("FID feature extractor: fmnist (the bundled Fashion-MNIST net) or inception")
  @Default.String("fmnist")
  String getExtractor();

  void setExtractor(String extractor);

  @Description(
      "Weights of the inception extractor: pytorch-fid's pt_inception-2015-12-05-6726825d.pth or hash:SEED")
  String getWeights();

  void setWeights(String weights);

  @Description(
      "Stable-Diffusion VAE that decodes a latent model's samples to images (for FID and the grids)")
  String getVae();

  void setVae(String vae);

  @Description(
      "Output directory: report.md, report.json, samples-<setting>.png, router-heatmap.png, fid-vs-latency.png")
  @Validation.Required
  String getOutput();

  void setOutput(String output);
}
