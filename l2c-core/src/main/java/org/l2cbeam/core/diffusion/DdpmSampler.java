package org.l2cbeam.core.diffusion;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;

/**
 * Ancestral DDPM ({@code p_sample}, {@code clip_denoised=False}) with DiT's learned-range variance: the variance
 * channels {@code v} give {@code log σ² = f·log β + (1-f)·log β̃} with {@code f = (v+1)/2}; the sample is
 * {@code μ + exp(½ log σ²)·z}, with no noise at the last step.
 */
public final class DdpmSampler implements Sampler {
  private final NoiseSchedule schedule;
  private final NoiseSource noise;

  public DdpmSampler(NoiseSchedule schedule, NoiseSource noise) {
    this.schedule = schedule;
    this.noise = noise;
  }

  @Override
  public NoiseSchedule schedule() {
    return schedule;
  }

  @Override
  public NDArray sample(NDArray xT, Denoiser model, StepListener listener) {
    NDManager outer = xT.getManager();
    NDArray x = xT.duplicate(); // the caller keeps xT; each step's input is freed with that step's scope
    for (int k = schedule.steps() - 1; k >= 0; k--) {
      try (NDManager scope = outer.newSubManager()) {
        x.attach(scope);
        NDArray modelOut = model.predict(x, k, schedule.timestep(k));
        modelOut.attach(scope);
        NDArray[] next = step(x, modelOut, k, k > 0 ? noise.stepNoise(scope, k, x.getShape()) : null);
        listener.onStep(k, next[0], next[1], modelOut);
        next[0].attach(outer);
        x = next[0];
      }
    }
    return x;
  }

  /** One ancestral step; {@code z} is the step noise (ignored, and may be null, at k = 0). */
  public NDArray[] step(NDArray x, NDArray modelOut, int k, NDArray z) {
    NDManager m = x.getManager();
    long c = x.getShape().get(1);
    if (modelOut.getShape().get(1) != 2 * c) {
      throw new IllegalArgumentException(
          "DDPM with learned-range variance needs a learn_sigma model (" + (2 * c) + " output channels), got "
              + modelOut.getShape());
    }
    NDArray eps = modelOut.get(":, 0:" + c);
    NDArray v = modelOut.get(":, " + c + ":");
    NDArray minLog = NoiseSchedule.f32(m, schedule.posteriorLogVarianceClipped(k));
    NDArray maxLog = NoiseSchedule.f32(m, schedule.logBeta(k));
    NDArray one = NoiseSchedule.f32(m, 1);
    NDArray frac = v.add(one).div(NoiseSchedule.f32(m, 2));
    NDArray logVariance = frac.mul(maxLog).add(one.sub(frac).mul(minLog));
    NDArray predXStart = schedule.predictXStart(x, eps, k);
    NDArray mean =
        predXStart
            .mul(NoiseSchedule.f32(m, schedule.posteriorMeanCoef1(k)))
            .add(x.mul(NoiseSchedule.f32(m, schedule.posteriorMeanCoef2(k))));
    if (k == 0) {
      return new NDArray[] {mean, predXStart};
    }
    NDArray sd = logVariance.mul(NoiseSchedule.f32(m, 0.5)).exp();
    return new NDArray[] {mean.add(sd.mul(z)), predXStart};
  }
}
