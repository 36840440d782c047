package org.l2cbeam.pipelines.demo;

import java.io.PrintStream;
import java.util.Locale;
import org.l2cbeam.core.model.DiT;
import org.l2cbeam.core.router.ModelFamily;
import org.l2cbeam.core.router.RouterArtifact;
import org.l2cbeam.core.router.RouterScores;
import org.l2cbeam.core.router.train.AdamW;
import org.l2cbeam.core.router.train.AdamWConfig;
import org.l2cbeam.core.router.train.RouterTraining;
import org.l2cbeam.core.router.train.RouterTrainingState;
import org.l2cbeam.core.router.train.TrainingExamples;
import org.l2cbeam.core.router.train.TrainingSettings;

/**
 * Trains the routers of one DDIM step count with the spec's objective (router training helper's {@link
 * RouterTraining}: the original's random cache step per iteration, 10% label dropout, AdamW, clamp), printing a
 * progress line as it goes.
 */
final class RouterStage {
  /** What a training run produced. */
  record Trained(
      int steps, RouterScores scores, double[][] beta, RouterArtifact artifact, double seconds, double lambda) {}

  private final DiT dit;
  private final String modelFingerprint;
  private final PrintStream log;

  RouterStage(DiT dit, String modelFingerprint, PrintStream log) {
    this.dit = dit;
    this.modelFingerprint = modelFingerprint;
    this.log = log;
  }

  Trained train(int steps, TrainingExamples examples, DemoSize size, double lambda, long seed) {
    TrainingSettings settings =
        new TrainingSettings(
            steps, lambda, AdamWConfig.l2c(size.learningRate()), size.trainBatch(), seed,
            TrainingSettings.RANDOM_CACHE_STEP, AdamW.ZeroGrad.SET_TO_NONE);
    RouterTraining training = new RouterTraining(dit, modelFingerprint, settings);
    String tag = "[train DDIM-" + steps + " router]";
    log.printf(
        Locale.ROOT, "%s %d iterations, batch %d, lambda %.3g, lr %.3g, on %d images of %s%n", tag,
        size.trainIterations(), size.trainBatch(), lambda, size.learningRate(), examples.size(), examples.source());
    long logEvery = Math.max(1, size.trainIterations() / 10);
    long start = System.nanoTime();
    RouterTrainingState state =
        training.train(
            examples, size.trainIterations(), null, 0, false,
            (it, total, loss, l1, itPerSec) ->
                log.printf(
                    Locale.ROOT, "%s %4d/%d  loss %.5f  sum(beta) %.2f  %.2f it/s  ETA %.0f s%n", tag, it, total,
                    loss, l1, itPerSec, itPerSec > 0 ? (total - it) / itPerSec : 0.0),
            logEvery);
    double seconds = (System.nanoTime() - start) / 1e9;
    RouterArtifact artifact =
        training.artifact(state, examples.fingerprint(), examples.source(), ModelFamily.DIT.defaultTheta());
    return new Trained(steps, artifact.scores(), state.scores(), artifact, seconds, lambda);
  }
}
