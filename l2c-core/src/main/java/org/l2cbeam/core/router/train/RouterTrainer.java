package org.l2cbeam.core.router.train;

import ai.djl.ndarray.NDManager;
import java.util.Locale;
import java.util.function.Consumer;
import org.l2cbeam.core.runtime.Torch;

/**
 * Trains L2C routers: per iteration, one batch, one cache step k, the family's {@link
 * RouterObjective}, then AdamW on {@code p_k} alone and, for DiT, the clamp of every logit to [-5,
 * 5] (the original {@code train_router.py} loop body; U-ViT's {@code train_router_discrete.py} does
 * not clamp).
 *
 * <h2>Why each cache step can be trained on its own</h2>
 *
 * Router k is used only at cache step k. The cache it mixes with comes from full step k+1, which
 * computes every unit and therefore uses no router; x at step k+1 is the clean input noised by
 * q_sample, which uses no router either. So the loss of an iteration at cache step k depends on
 * {@code p_k} and on the frozen model only, and its gradient is zero for every other router. AdamW
 * keeps separate moments and step counts per parameter, and with {@code
 * zero_grad(set_to_none=True)} (PyTorch >= 2, the authors' environment) a router without a gradient
 * is not touched at all. The only coupling between routers in the original is therefore which k
 * each iteration draws: training router k alone on its own example stream is the same optimisation
 * problem, so the N/2 routers can be trained on N/2 workers and assembled afterwards. ({@link
 * AdamW.ZeroGrad#ZERO_FILL}, PyTorch 1.13's behaviour, breaks this: unused routers keep moving by
 * momentum, so that mode is for parity only.)
 *
 * <p>Two modes: {@link TrainingSettings#RANDOM_CACHE_STEP} draws k uniformly per iteration as the
 * original (parity, one JVM), and a fixed cache step trains that router alone (the parallel mode).
 * Everything random comes from {@link TrainingRandom} keyed by (seed, iteration), so a run is
 * deterministic for its seed and resumes bit-exactly.
 *
 * <p>DJL allows one gradient collector per JVM: trainers in one process take turns ({@code
 * Autograd}).
 */
public final class RouterTrainer {
  /** Progress of a run, reported every {@code logEvery} iterations and at the end. */
  public interface Progress {
    void report(
        long iteration, long total, double meanLoss, double meanL1, double iterationsPerSecond);
  }

  /** Where checkpoints go; {@link #describe} names the place in messages. */
  public interface CheckpointSink extends Consumer<RouterTrainingState> {
    String describe();
  }

  private final RouterObjective objective;
  private final TrainingSettings settings;

  public RouterTrainer(RouterObjective objective, TrainingSettings settings) {
    if (objective.family() != settings.family()) {
      throw new IllegalArgumentException(
          "a "
              + objective.family().id()
              + " objective cannot run "
              + settings.family().id()
              + " training settings");
    }
    if (objective.samplingSteps() != settings.samplingSteps()) {
      throw new IllegalArgumentException(
          "objective has "
              + objective.samplingSteps()
              + " sampling steps but the settings say "
              + settings.samplingSteps());
    }
    this.objective = objective;
    this.settings = settings;
  }

  public TrainingSettings settings() {
    return settings;
  }

  /**
   * One iteration on {@code batch}: evaluates the objective, then (if finite) updates the batch's
   * router and clamps. On a non-finite loss or gradient the state is left untouched and {@link
   * TrainingDivergedException} is thrown.
   */
  public RouterObjective.Evaluation step(
      NDManager manager, RouterTrainingState state, TrainingBatch batch) {
    return step(manager, state, batch, -1, "");
  }

  private RouterObjective.Evaluation step(
      NDManager manager,
      RouterTrainingState state,
      TrainingBatch batch,
      long lastCheckpoint,
      String checkpoint) {
    int k = batch.cacheStep();
    float[][] logits = state.mutableLogits();
    RouterObjective.Evaluation e = objective.evaluate(manager, batch, logits[k]);
    if (!e.isFinite()) {
      throw new TrainingDivergedException(
          state.iteration() + 1,
          k,
          Float.isFinite(e.loss) ? "router gradient is not finite" : "loss is " + e.loss,
          lastCheckpoint,
          checkpoint);
    }
    float[][] grads = new float[logits.length][];
    grads[k] = e.gradient;
    state.optimizer().step(logits, grads);
    if (objective.clampsLogits()) {
      LogitClamp.apply(logits); // DiT's train_router.py; U-ViT's training has no clamp
    }
    state.completeIteration(e.loss, e.dataLoss, e.l1, k);
    return e;
  }

  /**
   * Runs until {@code state} has completed {@code totalIterations} iterations (or the source runs
   * dry), writing a checkpoint every {@code checkpointEvery} iterations and at the end.
   *
   * @throws TrainingDivergedException naming the step and the last good checkpoint, which is left
   *     as it was
   */
  public RouterTrainingState run(
      RouterTrainingState state,
      BatchSource source,
      long totalIterations,
      CheckpointSink checkpoints,
      long checkpointEvery,
      Progress progress,
      long logEvery) {
    long lastCheckpoint = checkpoints != null && state.iteration() > 0 ? state.iteration() : -1;
    long windowStart = state.iteration();
    long windowNanos = System.nanoTime();
    try (NDManager manager = Torch.newManager(objective.device())) {
      while (state.iteration() < totalIterations) {
        long i = state.iteration();
        int k = TrainingBatch.cacheStepOf(settings, i);
        TrainingBatch batch = source.batch(i, k);
        if (batch == null) break;
        step(
            manager,
            state,
            batch,
            lastCheckpoint,
            checkpoints == null ? "" : checkpoints.describe());
        long done = state.iteration();
        if (checkpoints != null && checkpointEvery > 0 && done % checkpointEvery == 0) {
          checkpoints.accept(state);
          lastCheckpoint = done;
        }
        if (progress != null && logEvery > 0 && (done % logEvery == 0 || done == totalIterations)) {
          long now = System.nanoTime();
          float[] loss = state.history().loss();
          float[] l1 = state.history().l1();
          int from = (int) windowStart;
          double seconds = (now - windowNanos) / 1e9;
          progress.report(
              done,
              totalIterations,
              TrainingHistory.mean(loss, from, (int) done),
              TrainingHistory.mean(l1, from, (int) done),
              (done - windowStart) / Math.max(seconds, 1e-9));
          windowStart = done;
          windowNanos = now;
        }
      }
    }
    if (checkpoints != null && lastCheckpoint != state.iteration()) {
      checkpoints.accept(state);
    }
    return state;
  }

  /** A one-line progress report: {@code step 200/2000 loss 0.01234 L1 31.2 4.1 it/s}. */
  public static String progressLine(
      long iteration, long total, double loss, double l1, double itPerSec) {
    return String.format(
        Locale.ROOT,
        "step %d/%d  loss %.6g  L1 %.4g  %.2f it/s",
        iteration,
        total,
        loss,
        l1,
        itPerSec);
  }
}
