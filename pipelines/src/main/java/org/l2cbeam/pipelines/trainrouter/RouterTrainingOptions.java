package org.l2cbeam.pipelines.trainrouter;

import org.apache.beam.sdk.options.Default;
import org.apache.beam.sdk.options.Description;
import org.apache.beam.sdk.options.Validation;
import org.l2cbeam.pipelines.ModelKernelOptions;

/**
 * The router-training options shared by the {@code train-router} and {@code retrain} pipelines:
 * model, data and {@code TrainRouter} settings.
 */
public interface RouterTrainingOptions extends ModelKernelOptions {
  @Description(
      "DiT or U-ViT checkpoint (the family is read from its keys; a config.json beside it may give"
          + " num_heads): a local path, gs://..., or builtin:fmnist-dit")
  @Default.String("builtin:fmnist-dit")
  String getModel();

  void setModel(String model);

  @Description(
      "Training data: a directory of (Fashion-)MNIST IDX files (train split), builtin:fashion-mnist, or a .safetensors"
          + " file with x [N,C,H,W] in the model's input space and y [N]")
  @Validation.Required
  String getData();

  void setData(String data);

  @Description(
      "Sampling steps the router is for (even): DDIM steps for a DiT, network evaluations (NFE) of"
          + " DPM-Solver-2 for a U-ViT")
  @Default.Integer(20)
  int getSamplingSteps();

  void setSamplingSteps(int steps);

  @Description("Training iterations for each cache step's router")
  @Validation.Required
  Long getIterations();

  void setIterations(Long iterations);

  @Description(
      "Weight of the L1 term sum(sigmoid(p)); default DiT 5e-6 for 20 sampling steps, 1e-6 for 50 (and 10);"
          + " U-ViT 0.1")
  Double getLambda();

  void setLambda(Double lambda);

  @Description("AdamW learning rate (constant)")
  @Default.Double(1e-3)
  double getLr();

  void setLr(double lr);

  @Description("Examples per iteration")
  @Default.Integer(8)
  int getBatch();

  void setBatch(int batch);

  @Description("Seed of every random draw (initial routers, example order, noise, label dropout)")
  @Default.Long(0)
  long getSeed();

  void setSeed(long seed);

  @Description(
      "Only these cache steps (comma-separated; DiT: even indices below --sampling-steps, U-ViT: outer steps"
          + " 1..NFE/2-1); default all")
  String getCacheSteps();

  void setCacheSteps(String cacheSteps);

  @Description("Threshold theta in (0, 1) stored in the router JSON (default DiT 0.1, U-ViT 0.9)")
  Double getTheta();

  void setTheta(Double theta);

  @Description(
      "Local directory for resumable training checkpoints (default: --tempLocation if local, else java.io.tmpdir/l2c-USER)")
  String getCheckpointDir();

  void setCheckpointDir(String dir);

  @Description("Iterations between training checkpoints")
  @Default.Long(100)
  long getCheckpointEvery();

  void setCheckpointEvery(long every);
}
