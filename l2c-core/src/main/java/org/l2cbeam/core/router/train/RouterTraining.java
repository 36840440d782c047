package org.l2cbeam.core.router.train;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import org.l2cbeam.core.diffusion.DiscreteVpSchedule;
import org.l2cbeam.core.diffusion.DpmSolver2S;
import org.l2cbeam.core.diffusion.NoiseSchedule;
import org.l2cbeam.core.model.DiT;
import org.l2cbeam.core.model.DiffusionTransformer;
import org.l2cbeam.core.model.UViT;
import org.l2cbeam.core.model.UViTConfig;
import org.l2cbeam.core.router.ModelFamily;
import org.l2cbeam.core.router.RouterArtifact;
import org.l2cbeam.core.router.RouterScores;

/**
 * The entry point for training routers of either family (CLI, Beam's {@code TrainRouter}, demos):
 * one frozen model (DiT, or U-ViT through {@link #uvit}), one set of {@link TrainingSettings};
 * train on a finite example set or on a stream for one cache step, with checkpoints and resume, and
 * turn the result into a {@link RouterArtifact} carrying the training provenance.
 *
 * <pre>{@code
 * TrainingSettings s = new TrainingSettings(20, 5e-6, AdamWConfig.l2c(1e-3), 8, seed,
 *     TrainingSettings.RANDOM_CACHE_STEP, AdamW.ZeroGrad.SET_TO_NONE);
 * RouterTraining training = new RouterTraining(dit, weights.fingerprint(), s);
 * RouterTrainingState state = training.train(examples, 2000, checkpointFile, 200, false, progress, 50);
 * training.artifact(state, examples.fingerprint(), 0.1).write(out);
 * }</pre>
 */
public final class RouterTraining {
  /**
   * Model inputs {C, H, W}, the number of real classes, and cache units: all the loop needs from
   * the model.
   */
  private final int[] inputShape;

  private final int numClasses;
  private final int units;
  private final String modelFingerprint;
  private final TrainingSettings settings;
  private final RouterTrainer trainer;

  /**
   * Null: routers drawn from the seed; else the logits a warm-started run begins from ({@link
   * #startingFrom}).
   */
  private final float[][] initialLogits;

  public RouterTraining(DiT model, String modelFingerprint, TrainingSettings settings) {
    this(
        new DiTRouterObjective(
            model, NoiseSchedule.dit(settings.samplingSteps()), settings.lambda()),
        new int[] {model.config().inChannels, model.config().inputSize, model.config().inputSize},
        model.config().numClasses,
        modelFingerprint,
        settings);
  }

  private RouterTraining(
      RouterObjective objective,
      int[] inputShape,
      int numClasses,
      String modelFingerprint,
      TrainingSettings settings) {
    this.inputShape = inputShape;
    this.numClasses = numClasses;
    this.units = objective.units();
    this.modelFingerprint = modelFingerprint;
    this.settings = settings;
    this.trainer = new RouterTrainer(objective, settings);
    this.initialLogits = null;
  }

  private RouterTraining(RouterTraining cold, float[][] initialLogits) {
    this.inputShape = cold.inputShape;
    this.numClasses = cold.numClasses;
    this.units = cold.units;
    this.modelFingerprint = cold.modelFingerprint;
    this.settings = cold.settings;
    this.trainer = cold.trainer;
    this.initialLogits = initialLogits;
  }

  /**
   * The same training, warm-started: a fresh run begins from {@code logits} (a router trained
   * earlier for this model and sampler, one row per sampling step) instead of routers drawn from
   * the seed. Only the logits carry over; the optimiser starts afresh, as a new run of the original
   * would after loading a router. A resumed run continues its checkpoint whatever this says, so the
   * caller must keep warm and cold runs' checkpoints apart.
   */
  public RouterTraining startingFrom(float[][] logits) {
    if (logits.length != settings.samplingSteps()) {
      throw new IllegalArgumentException(
          "warm start: the initial router has "
              + logits.length
              + " rows, but training"
              + " for "
              + settings.samplingSteps()
              + " sampling steps needs "
              + settings.samplingSteps());
    }
    float[][] copy = new float[logits.length][];
    for (int k = 0; k < logits.length; k++) {
      if (logits[k].length != units) {
        throw new IllegalArgumentException(
            "warm start: row "
                + k
                + " of the initial router has "
                + logits[k].length
                + " units, but the model has "
                + units);
      }
      for (float v : logits[k]) {
        if (!Float.isFinite(v)) {
          throw new IllegalArgumentException(
              "warm start: row " + k + " of the initial router holds " + v);
        }
      }
      copy[k] = logits[k].clone();
    }
    return new RouterTraining(this, copy);
  }

  /**
   * U-ViT router training ({@code train_router_discrete.py}): settings of family {@code uvit} whose
   * sampling steps are the DPM-Solver-2 NFE; {@code time} picks the cache-step time the teacher and
   * student see (the original's integer-rounded time by default, see {@link UViTRouterObjective}).
   */
  public static RouterTraining uvit(
      UViT model,
      String modelFingerprint,
      TrainingSettings settings,
      UViTRouterObjective.TimeInput time) {
    if (settings.family() != ModelFamily.UVIT) {
      throw new IllegalArgumentException(
          "U-ViT router training needs uvit settings, got " + settings.family().id());
    }
    DpmSolver2S solver =
        new DpmSolver2S(DiscreteVpSchedule.stableDiffusion(), settings.samplingSteps());
    UViTConfig c = model.config();
    return new RouterTraining(
        new UViTRouterObjective(model, solver, settings.lambda(), time),
        new int[] {c.inChannels, c.imageSize, c.imageSize},
        c.nullLabel(),
        modelFingerprint,
        settings);
  }

  /**
   * Training for a model of either family: DiT's objective for a DiT, U-ViT's (with {@code
   * uvitTime}, ignored for a DiT) for a U-ViT. The settings must be of the model's family.
   */
  public static RouterTraining of(
      DiffusionTransformer model,
      String modelFingerprint,
      TrainingSettings settings,
      UViTRouterObjective.TimeInput uvitTime) {
    if (settings.family() != model.family()) {
      throw new IllegalArgumentException(
          "router training settings are for a "
              + settings.family().id()
              + " model, but the model is "
              + model.family().id());
    }
    return model.family() == ModelFamily.DIT
        ? new RouterTraining((DiT) model, modelFingerprint, settings)
        : uvit((UViT) model, modelFingerprint, settings, uvitTime);
  }

  public TrainingSettings settings() {
    return settings;
  }

  public RouterTrainer trainer() {
    return trainer;
  }

  /**
   * A fresh state: the warm start's logits ({@link #startingFrom}), else all N routers drawn from
   * N(0,1) with the run's seed.
   */
  public RouterTrainingState initialState() {
    return initialLogits != null
        ? RouterTrainingState.withLogits(settings, initialLogits)
        : RouterTrainingState.initial(settings, units);
  }

  /**
   * Trains on a finite example set (shuffled per epoch, incomplete batches dropped) until {@code
   * iterations} iterations are complete.
   *
   * @param checkpoint the training checkpoint file, or null for none
   * @param resume continue from {@code checkpoint} (which must exist and belong to this model, data
   *     and settings)
   */
  public RouterTrainingState train(
      TrainingExamples examples,
      long iterations,
      Path checkpoint,
      long checkpointEvery,
      boolean resume,
      RouterTrainer.Progress progress,
      long logEvery) {
    examples.checkFitsModel(inputShape[0], inputShape[1], inputShape[2], numClasses);
    BatchSource source = new ShuffledBatches(examples, settings.seed(), settings.batch());
    return run(
        source,
        examples.fingerprint(),
        iterations,
        checkpoint,
        checkpointEvery,
        resume,
        progress,
        logEvery);
  }

  /**
   * Trains the router of the settings' single cache step on a stream of examples, batch after batch
   * in arrival order, until {@code iterations} iterations are complete or the stream ends (see
   * {@link RouterTrainer} for why this equals the original's joint training for that router).
   *
   * @param streamFingerprint identifies the stream's content for checkpoints and the artifact
   */
  public RouterTrainingState trainCacheStep(
      Iterator<LabelledExample> stream,
      String streamFingerprint,
      long iterations,
      Path checkpoint,
      long checkpointEvery,
      boolean resume,
      RouterTrainer.Progress progress,
      long logEvery) {
    if (!settings.trainsOneCacheStep()) {
      throw new IllegalArgumentException(
          "trainCacheStep needs settings with one cache step (--cache-step k)");
    }
    BatchSource source =
        new StreamBatches(
            stream, inputShape.clone(), numClasses, settings.seed(), settings.batch());
    return run(
        source,
        streamFingerprint,
        iterations,
        checkpoint,
        checkpointEvery,
        resume,
        progress,
        logEvery);
  }

  private RouterTrainingState run(
      BatchSource source,
      String dataFingerprint,
      long iterations,
      Path checkpoint,
      long checkpointEvery,
      boolean resume,
      RouterTrainer.Progress progress,
      long logEvery) {
    RouterTrainingState state;
    if (resume) {
      if (checkpoint == null)
        throw new IllegalArgumentException("--resume needs a checkpoint file");
      RouterCheckpoint saved = RouterCheckpoint.read(checkpoint);
      saved.checkResumable(checkpoint, settings, modelFingerprint, dataFingerprint);
      state = saved.state();
      if (state.units() != units) {
        throw new IllegalArgumentException(
            "cannot resume from "
                + checkpoint
                + ": its routers have "
                + state.units()
                + " units, the model "
                + units);
      }
      if (state.iteration() > iterations) {
        throw new IllegalArgumentException(
            "cannot resume from "
                + checkpoint
                + ": it has already trained "
                + state.iteration()
                + " iterations, more"
                + " than the "
                + iterations
                + " asked for (--steps); resuming cannot undo iterations: pass --steps "
                + state.iteration()
                + " or more, or train afresh without --resume");
      }
    } else {
      state = initialState();
      if (checkpoint != null && Files.exists(checkpoint)) {
        throw new IllegalArgumentException(
            "training checkpoint "
                + checkpoint
                + " already exists: pass --resume to continue it, or delete it");
      }
    }
    RouterTrainer.CheckpointSink sink = null;
    if (checkpoint != null) {
      sink =
          new RouterTrainer.CheckpointSink() {
            @Override
            public void accept(RouterTrainingState s) {
              new RouterCheckpoint(settings, modelFingerprint, dataFingerprint, s)
                  .write(checkpoint);
            }

            @Override
            public String describe() {
              return checkpoint.toString();
            }
          };
    }
    return trainer.run(state, source, iterations, sink, checkpointEvery, progress, logEvery);
  }

  /**
   * The router artifact of {@code state} at threshold θ, with the training provenance: settings,
   * iterations, the loss-curve summary, per-router Adam step counts, and the data and model
   * fingerprints.
   */
  public RouterArtifact artifact(
      RouterTrainingState state, String dataFingerprint, String dataSource, double theta) {
    RouterScores scores = new RouterScores(settings.family(), state.logits());
    RouterArtifact.Provenance provenance =
        new RouterArtifact.Provenance(
            dataSource,
            null,
            Instant.now().truncatedTo(ChronoUnit.SECONDS).toString(),
            "l2c router train",
            provenance(state, dataFingerprint));
    return new RouterArtifact(
        modelFingerprint, scores, settings.family().sampler(), theta, provenance);
  }

  /** The {@code provenance.training} map of an artifact trained from {@code state}. */
  public Map<String, Object> provenance(RouterTrainingState state, String dataFingerprint) {
    Map<String, Object> t = new LinkedHashMap<>();
    t.put("lambda", settings.lambda());
    t.put("lr", settings.optimizer().lr());
    t.put("optimizer", settings.optimizer().toString());
    t.put("zeroGrad", settings.zeroGrad().name());
    t.put("batch", settings.batch());
    t.put("samplingSteps", settings.samplingSteps());
    t.put("cacheStep", settings.trainsOneCacheStep() ? (Object) settings.cacheStep() : "random");
    t.put("labelDropout", TrainingSettings.LABEL_DROPOUT);
    t.put("seed", settings.seed());
    t.put("steps", state.iteration());
    long[] adamSteps = new long[state.routers()];
    for (int k = 0; k < adamSteps.length; k++) adamSteps[k] = state.optimizer().steps(k);
    t.put("routerSteps", adamSteps);
    t.put("loss", LossCurveSummary.of(state.history()).toMap());
    t.put("dataFingerprint", dataFingerprint);
    t.put("modelFingerprint", modelFingerprint);
    return t;
  }
}
