package org.l2cbeam.pipelines.cli;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.l2cbeam.core.assets.BuiltinAssets;
import org.l2cbeam.core.image.ImageFolder;
import org.l2cbeam.core.io.WeightMap;
import org.l2cbeam.core.model.DiffusionTransformer;
import org.l2cbeam.core.model.ModelCheckpoint;
import org.l2cbeam.core.router.CacheSchedule;
import org.l2cbeam.core.router.ModelFamily;
import org.l2cbeam.core.router.RouterArtifact;
import org.l2cbeam.core.router.train.AdamW;
import org.l2cbeam.core.router.train.AdamWConfig;
import org.l2cbeam.core.router.train.RouterCheckpoint;
import org.l2cbeam.core.router.train.RouterTrainer;
import org.l2cbeam.core.router.train.RouterTraining;
import org.l2cbeam.core.router.train.RouterTrainingState;
import org.l2cbeam.core.router.train.TrainingData;
import org.l2cbeam.core.router.train.TrainingExamples;
import org.l2cbeam.core.router.train.TrainingSettings;
import org.l2cbeam.core.router.train.UViTRouterObjective;
import org.l2cbeam.core.router.train.VaeEncodedExamples;
import org.l2cbeam.core.runtime.Torch;
import org.l2cbeam.core.vae.AutoencoderKL;
import org.l2cbeam.core.vae.LatentScale;
import org.l2cbeam.core.vae.VaeCheckpoint;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code l2c router train}: learns L2C routers for a DiT or a U-ViT exactly as the originals'
 * {@code train_router.py} and {@code train_router_discrete.py} do, on CPU, with a resumable
 * checkpoint beside {@code --out}. Defaults are the authors' README values, never the original
 * argparse defaults ({@code --l1 1.0 --lr 1.0}).
 */
@Command(
    name = "train",
    description =
        "Train L2C routers for a DiT (DDIM) or a U-ViT (DPM-Solver-2) from class-labelled data (with --vae:"
            + " real images, encoded first); writes a router JSON.")
final class RouterTrainCommand implements Callable<Integer> {
  @Option(
      names = "--model",
      required = true,
      paramLabel = "CKPT",
      description =
          "DiT or U-ViT checkpoint (the family is detected from the keys) or builtin:fmnist-dit")
  String model;

  @Option(
      names = "--data",
      required = true,
      paramLabel = "DIR|FILE",
      description =
          "a directory of (Fashion-)MNIST IDX files (train split) or builtin:fashion-mnist for a pixel-space DiT, a"
              + " .safetensors file with x [N,C,H,W] (model inputs, e.g. VAE latents x 0.18215) and y [N], or with"
              + " --vae a folder of images")
  Path data;

  @Option(
      names = "--vae",
      paramLabel = "VAE",
      description =
          "Stable-Diffusion VAE (LDM or diffusers layout): --data is then a folder of images (one subfolder per"
              + " class, as ImageFolder, or a flat folder = class 0), each center-cropped (ADM) to the model's"
              + " resolution, flipped at random and encoded to a posterior sample x 0.18215 before training")
  Path vae;

  @Option(
      names = "--vae-batch",
      defaultValue = "8",
      paramLabel = "N",
      description = "with --vae: images encoded together; default ${DEFAULT-VALUE}")
  int vaeBatch;

  @Option(
      names = "--steps",
      required = true,
      paramLabel = "N",
      description = "training iterations in total")
  long steps;

  @Option(
      names = "--sampling-steps",
      defaultValue = "20",
      paramLabel = "N",
      description =
          "DiT: DDIM steps the routers are for; U-ViT: the DPM-Solver-2 NFE (even); default ${DEFAULT-VALUE}")
  int samplingSteps;

  @Option(
      names = "--lambda",
      paramLabel = "L",
      description =
          "weight of the L1 term sum(sigmoid(p)); default DiT 5e-6 for 20 sampling steps, 1e-6 for 50 or 10;"
              + " U-ViT 0.1 (its data term is a sum over C x H x W, not a mean)")
  Double lambda;

  @Option(
      names = "--lr",
      defaultValue = "1e-3",
      description = "AdamW learning rate; default ${DEFAULT-VALUE}")
  double lr;

  @Option(
      names = "--batch",
      defaultValue = "8",
      description = "examples per iteration; default ${DEFAULT-VALUE}")
  int batch;

  @Option(
      names = "--seed",
      defaultValue = "0",
      description = "seed of every random draw; default ${DEFAULT-VALUE}")
  long seed;

  @Option(
      names = "--out",
      required = true,
      paramLabel = "ROUTER.json",
      description = "the router JSON to write")
  Path out;

  @Option(
      names = "--cache-step",
      paramLabel = "k",
      description =
          "train only the router of cache step k (DiT: even, < sampling steps; U-ViT: outer step 1..NFE/2-1);"
              + " default: a random k per batch")
  Integer cacheStep;

  @Option(
      names = "--resume",
      description = "continue from the checkpoint beside --out up to --steps")
  boolean resume;

  @Option(
      names = "--checkpoint-every",
      defaultValue = "100",
      paramLabel = "N",
      description = "iterations between checkpoints; default ${DEFAULT-VALUE}")
  long checkpointEvery;

  @Option(
      names = "--log-every",
      defaultValue = "10",
      paramLabel = "N",
      description = "iterations between progress lines; default ${DEFAULT-VALUE}")
  long logEvery;

  @Option(
      names = "--theta",
      description =
          "threshold stored in the router JSON (compute iff sigmoid(p) > theta); default 0.1 for DiT, 0.9 for"
              + " U-ViT")
  Double theta;

  @Option(
      names = "--time",
      defaultValue = "integer",
      paramLabel = "integer|float",
      description =
          "U-ViT only: the time teacher and student see at the cache step: integer = round(1000 t_k) as the"
              + " original trains (default), float = 1000 t_k as sampling feeds it")
  String time;

  @Option(
      names = "--zero-grad",
      defaultValue = "set-to-none",
      paramLabel = "set-to-none|zero-fill",
      description =
          "what happens to routers not drawn in an iteration: set-to-none (PyTorch >= 2, the authors' runs: not moved)"
              + " or zero-fill (PyTorch 1.13: moved by momentum); default ${DEFAULT-VALUE}")
  String zeroGrad;

  @Mixin KernelOptions kernels = new KernelOptions();

  @Option(
      names = {"--num-heads", "--heads"},
      defaultValue = "0",
      paramLabel = "H",
      description =
          "attention heads, for non-official sizes without a config.json next to the checkpoint")
  int heads;

  @Override
  public Integer call() throws IOException {
    if (steps < 1) throw new IllegalArgumentException("--steps must be at least 1, got " + steps);
    ModelCheckpoint checkpoint = ModelCheckpoint.open(model);
    ModelFamily family = checkpoint.family();
    CommandInputs.checkTheta(this.theta);
    double theta = this.theta != null ? this.theta : family.defaultTheta();
    double l = lambda != null ? lambda : TrainingSettings.defaultLambda(family, samplingSteps);
    TrainingSettings settings =
        new TrainingSettings(
            family,
            samplingSteps,
            l,
            AdamWConfig.l2c(lr),
            batch,
            seed,
            cacheStep == null ? TrainingSettings.RANDOM_CACHE_STEP : cacheStep,
            zeroGrad());
    UViTRouterObjective.TimeInput timeInput = timeInput();
    PrintStream err = System.err;
    Torch.inferenceMode(); // the objectives turn gradients on exactly where they need them
    try (DiffusionTransformer m = checkpoint.load(heads, kernels.execution())) {
      TrainingExamples examples = trainingExamples(m.inChannels(), m.inputSize(), m.numClasses());
      Path checkpointFile = RouterCheckpoint.besideOutput(out);
      String cacheSteps =
          cacheStep == null ? "random cache step per batch" : "cache step " + cacheStep;
      if (family == ModelFamily.DIT) {
        err.printf(
            Locale.ROOT,
            "router train: %s (%d units), %d examples from %s, %d DDIM steps, lambda %s, lr %s, batch %d,"
                + " seed %d, %s; checkpoint %s%n",
            model,
            m.units(),
            examples.size(),
            data,
            samplingSteps,
            l,
            lr,
            batch,
            seed,
            cacheSteps,
            checkpointFile);
      } else {
        err.printf(
            Locale.ROOT,
            "router train: %s (U-ViT, %d units), %d examples from %s, DPM-Solver-2 NFE %d, lambda %s, lr"
                + " %s, batch %d, seed %d, %s, %s time; checkpoint %s%n",
            model,
            m.units(),
            examples.size(),
            data,
            samplingSteps,
            l,
            lr,
            batch,
            seed,
            cacheSteps,
            timeInput.name().toLowerCase(Locale.ROOT),
            checkpointFile);
      }
      RouterTraining training = RouterTraining.of(m, checkpoint.fingerprint(), settings, timeInput);
      RouterTrainer.Progress progress =
          (it, total, loss, l1, rate) ->
              err.println(RouterTrainer.progressLine(it, total, loss, l1, rate));
      RouterTrainingState state =
          training.train(
              examples, steps, checkpointFile, checkpointEvery, resume, progress, logEvery);
      RouterArtifact artifact =
          training.artifact(state, examples.fingerprint(), dataSource(), theta);
      artifact.write(out);
      CacheSchedule schedule = artifact.schedule();
      schedule.cacheRowLines(family.pairing()).forEach(System.out::println);
      System.out.println(artifact.scores().summarize(schedule));
      err.println(
          "wrote "
              + out
              + " (theta "
              + theta
              + "; pick another with: l2c router theta "
              + out
              + " --remove-macs F)");
    }
    return 0;
  }

  private AdamW.ZeroGrad zeroGrad() {
    switch (zeroGrad) {
      case "set-to-none":
        return AdamW.ZeroGrad.SET_TO_NONE;
      case "zero-fill":
        return AdamW.ZeroGrad.ZERO_FILL;
      default:
        throw new IllegalArgumentException(
            "--zero-grad must be set-to-none or zero-fill, got " + zeroGrad);
    }
  }

  /** {@code --time}: what U-ViT's teacher and student see at the cache step (ignored for a DiT). */
  private UViTRouterObjective.TimeInput timeInput() {
    switch (time.toLowerCase(Locale.ROOT)) {
      case "integer":
        return UViTRouterObjective.TimeInput.INTEGER;
      case "float":
        return UViTRouterObjective.TimeInput.FLOAT;
      default:
        throw new IllegalArgumentException("--time must be integer or float, got '" + time + "'");
    }
  }

  /**
   * {@code --data} as examples for a model with {@code channels × size × size} inputs: read by
   * {@link TrainingData}, or, with {@code --vae}, a folder of images encoded once, before training
   * ({@link VaeEncodedExamples}). The VAE is closed before the diffusion model trains.
   */
  private TrainingExamples trainingExamples(int channels, int size, int numClasses) {
    Path data =
        BuiltinAssets.resolve(
            this.data.toString()); // builtin:fashion-mnist, as the pipeline accepts
    if (vae == null) {
      return TrainingData.open(data, channels, size, numClasses);
    }
    if (vaeBatch < 1)
      throw new IllegalArgumentException("--vae-batch must be at least 1, got " + vaeBatch);
    if (!Files.isDirectory(data)) {
      throw new IllegalArgumentException(
          "--vae encodes a folder of images, but --data "
              + data
              + " is not a folder"
              + (data.getFileName().toString().endsWith(".safetensors")
                  ? " (a .safetensors file already holds model inputs: drop --vae)"
                  : ""));
    }
    WeightMap vaeWeights = WeightMap.open(vae);
    VaeCheckpoint vaeCheckpoint = VaeCheckpoint.from(vaeWeights);
    int latentChannels = vaeCheckpoint.config().embedDim();
    if (latentChannels != channels) {
      throw new IllegalArgumentException(
          "--vae "
              + vae
              + " encodes images to "
              + latentChannels
              + "-channel latents, but --model "
              + model
              + " takes "
              + channels
              + "-channel inputs"
              + (channels == 1 || channels == 3
                  ? " (a pixel-space model: train it on its own data, without --vae)"
                  : ""));
    }
    ImageFolder folder = ImageFolder.open(data);
    int resolution = size * vaeCheckpoint.config().downsamplingFactor();
    PrintStream err = System.err;
    err.printf(
        Locale.ROOT,
        "encoding %d images in %d classes from %s with --vae %s: ADM center crop to %dx%d, random flip,"
            + " posterior sample x %s (seed %d)%n",
        folder.size(),
        folder.classes().size(),
        data,
        vae,
        resolution,
        resolution,
        LatentScale.STABLE_DIFFUSION.factor(),
        seed);
    long start = System.nanoTime();
    int every = Math.max(vaeBatch, folder.size() / 10);
    int[] reported = {0};
    VaeEncodedExamples examples;
    try (AutoencoderKL autoencoder = AutoencoderKL.create(vaeCheckpoint)) {
      examples =
          VaeEncodedExamples.encode(
              folder,
              autoencoder,
              vaeWeights.fingerprint(),
              new int[] {channels, size, size},
              numClasses,
              seed,
              vaeBatch,
              (done, total) -> {
                if (done == total || done - reported[0] >= every) {
                  err.printf(Locale.ROOT, "encoded %d/%d images%n", done, total);
                  reported[0] = done;
                }
              });
    }
    err.printf(
        Locale.ROOT,
        "encoded %d images in %.1f s%s%n",
        examples.size(),
        (System.nanoTime() - start) / 1e9,
        examples.upscaled() == 0
            ? ""
            : "; "
                + examples.upscaled()
                + " smaller than "
                + resolution
                + "x"
                + resolution
                + " scaled up by the crop (bicubic), as ADM's center crop does");
    examples.checkFitsModel(channels, size, size, numClasses);
    return examples;
  }

  /** Where the training data came from, for the artifact's provenance. */
  private String dataSource() {
    return vae == null ? data.toString() : data + " (images encoded by VAE " + vae + ")";
  }
}
