package org.l2cbeam.core.router.train;

import com.google.gson.JsonObject;
import java.util.Arrays;
import java.util.Locale;
import org.l2cbeam.core.router.ModelFamily;
import org.l2cbeam.core.router.StepPairing;

/**
 * Everything that defines a router-training run apart from its length: a checkpoint may only be
 * resumed under the same settings (the number of iterations may grow). Defaults follow the authors'
 * README, never the original argparse defaults ({@code --l1 1.0 --lr 1.0}), which are not what the
 * released routers were trained with.
 */
public final class TrainingSettings {
  /** Train the router of one uniformly drawn cache step per iteration, as the original does. */
  public static final int RANDOM_CACHE_STEP = -1;

  /** The original's label dropout to the null class. */
  public static final double LABEL_DROPOUT = 0.1;

  private final ModelFamily family;
  private final int samplingSteps;
  private final int[] cacheStepRows;
  private final double lambda;
  private final AdamWConfig optimizer;
  private final int batch;
  private final long seed;
  private final int cacheStep;
  private final AdamW.ZeroGrad zeroGrad;

  /** Settings of a DiT run (DDIM, N = {@code samplingSteps}). */
  public TrainingSettings(
      int samplingSteps,
      double lambda,
      AdamWConfig optimizer,
      int batch,
      long seed,
      int cacheStep,
      AdamW.ZeroGrad zeroGrad) {
    this(ModelFamily.DIT, samplingSteps, lambda, optimizer, batch, seed, cacheStep, zeroGrad);
  }

  /**
   * Settings of a run for {@code family}: {@code samplingSteps} is the router row count of its
   * sampler (DiT: N DDIM steps; U-ViT: the DPM-Solver-2 NFE), and the trained rows follow the
   * family's step pairing.
   */
  public TrainingSettings(
      ModelFamily family,
      int samplingSteps,
      double lambda,
      AdamWConfig optimizer,
      int batch,
      long seed,
      int cacheStep,
      AdamW.ZeroGrad zeroGrad) {
    if (samplingSteps < 2 || samplingSteps % 2 != 0) {
      throw new IllegalArgumentException(
          "--sampling-steps must be even and >= 2 ("
              + (family == ModelFamily.DIT
                  ? "DiT pairs full step 2j+1 with cache step 2j"
                  : "U-ViT's DPM-Solver-2 evaluates twice per outer step")
              + "), got "
              + samplingSteps);
    }
    this.family = family;
    this.cacheStepRows = trainedRows(family.pairing(), samplingSteps);
    if (!(lambda >= 0) || !Double.isFinite(lambda)) {
      throw new IllegalArgumentException("--lambda must be >= 0, got " + lambda);
    }
    if (batch < 1) {
      throw new IllegalArgumentException("--batch must be >= 1, got " + batch);
    }
    if (cacheStepRows.length == 0) {
      throw new IllegalArgumentException(
          "--sampling-steps " + samplingSteps + " leaves no cache step with a router to train");
    }
    if (cacheStep != RANDOM_CACHE_STEP
        && Arrays.stream(cacheStepRows).noneMatch(r -> r == cacheStep)) {
      throw new IllegalArgumentException(
          family == ModelFamily.DIT
              ? "--cache-step "
                  + cacheStep
                  + " is not a cache step of "
                  + samplingSteps
                  + " DDIM steps; cache steps are the even indices 0.."
                  + (samplingSteps - 2)
              : "--cache-step "
                  + cacheStep
                  + " is not a cache step of U-ViT's DPM-Solver-2 at NFE "
                  + samplingSteps
                  + "; cache steps are the outer steps 1.."
                  + (samplingSteps / 2 - 1));
    }
    this.samplingSteps = samplingSteps;
    this.lambda = lambda;
    this.optimizer = optimizer;
    this.batch = batch;
    this.seed = seed;
    this.cacheStep = cacheStep;
    this.zeroGrad = zeroGrad;
  }

  /** The router rows a family trains: those deciding a cache row of its step pairing. */
  private static int[] trainedRows(StepPairing pairing, int nfe) {
    int rows = pairing.scheduleRows(nfe);
    return java.util.stream.IntStream.range(0, rows)
        .filter(r -> pairing.isCacheRow(r, rows))
        .map(pairing::routerRow)
        .toArray();
  }

  /**
   * The README's λ for {@code family}: U-ViT 0.1 (given for NFE 20, used for all); DiT see {@link
   * #defaultLambda(int)}.
   */
  public static double defaultLambda(ModelFamily family, int samplingSteps) {
    return family == ModelFamily.UVIT ? 0.1 : defaultLambda(samplingSteps);
  }

  /**
   * The README's λ: 5e-6 for 20 steps, 1e-6 for 50 and for 10; other step counts take the nearer of
   * the two.
   */
  public static double defaultLambda(int samplingSteps) {
    return samplingSteps <= 20 && samplingSteps > 10 ? 5e-6 : 1e-6;
  }

  public int samplingSteps() {
    return samplingSteps;
  }

  public double lambda() {
    return lambda;
  }

  public AdamWConfig optimizer() {
    return optimizer;
  }

  public int batch() {
    return batch;
  }

  public long seed() {
    return seed;
  }

  /** The only cache step trained, or {@link #RANDOM_CACHE_STEP}. */
  public int cacheStep() {
    return cacheStep;
  }

  public boolean trainsOneCacheStep() {
    return cacheStep != RANDOM_CACHE_STEP;
  }

  public AdamW.ZeroGrad zeroGrad() {
    return zeroGrad;
  }

  public ModelFamily family() {
    return family;
  }

  /**
   * Number of cache steps (= trainable routers): DiT the even spaced indices 0..N−2, U-ViT the
   * outer steps 1..K−1.
   */
  public int cacheSteps() {
    return cacheStepRows.length;
  }

  /** The trainable router rows, in order. */
  public int[] cacheStepRows() {
    return cacheStepRows.clone();
  }

  public JsonObject toJson() {
    JsonObject o = new JsonObject();
    if (family != ModelFamily.DIT) {
      o.addProperty(
          "family", family.id()); // absent = dit, so DiT settings keep their original form
    }
    o.addProperty("sampling_steps", samplingSteps);
    o.addProperty("lambda", lambda);
    o.addProperty("lr", optimizer.lr());
    o.addProperty("beta1", optimizer.beta1());
    o.addProperty("beta2", optimizer.beta2());
    o.addProperty("eps", optimizer.eps());
    o.addProperty("weight_decay", optimizer.weightDecay());
    o.addProperty("batch", batch);
    o.addProperty("seed", seed);
    o.addProperty(
        "cache_step", cacheStep == RANDOM_CACHE_STEP ? "random" : Integer.toString(cacheStep));
    o.addProperty("label_dropout", LABEL_DROPOUT);
    o.addProperty("zero_grad", zeroGrad.name().toLowerCase(Locale.ROOT));
    return o;
  }

  public static TrainingSettings fromJson(JsonObject o) {
    String k = o.get("cache_step").getAsString();
    return new TrainingSettings(
        o.has("family") ? ModelFamily.parse(o.get("family").getAsString()) : ModelFamily.DIT,
        o.get("sampling_steps").getAsInt(),
        o.get("lambda").getAsDouble(),
        new AdamWConfig(
            o.get("lr").getAsDouble(),
            o.get("beta1").getAsDouble(),
            o.get("beta2").getAsDouble(),
            o.get("eps").getAsDouble(),
            o.get("weight_decay").getAsDouble()),
        o.get("batch").getAsInt(),
        o.get("seed").getAsLong(),
        k.equals("random") ? RANDOM_CACHE_STEP : Integer.parseInt(k),
        AdamW.ZeroGrad.valueOf(o.get("zero_grad").getAsString().toUpperCase(Locale.ROOT)));
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof TrainingSettings && toJson().equals(((TrainingSettings) o).toJson());
  }

  @Override
  public int hashCode() {
    return toJson().hashCode();
  }

  @Override
  public String toString() {
    return toJson().toString();
  }
}
