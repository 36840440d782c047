package org.l2cbeam.core.diffusion;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;

/**
 * Ancestral DDPM ({@code p_sample}, {@code clip_denoised=False}) with DiT's learned-range variance:
 * the variance channels {@code v} give {@code log σ² = f·log β + (1-f)·log β̃} with {@code f =
 * (v+1)/2}; the sample is {@code μ + exp(½ log σ²)·z}, with no noise at the last step.
 */
public final class DdpmSampler extends SpacedStepSampler {
  private final NoiseSource noise;

  public DdpmSampler(NoiseSchedule schedule, NoiseSource noise) {
    super(schedule);
    this.noise = noise;
  }

  @Override
  NDArray[] stepInScope(NDArray x, NDArray modelOut, int k, NDManager scope) {
    return step(x, modelOut, k, k > 0 ? noise.stepNoise(scope, k, x.getShape()) : null);
  }

  /** One ancestral step; {@code z} is the step noise (ignored, and may be null, at k = 0). */
  public NDArray[] step(NDArray x, NDArray modelOut, int k, NDArray z) {
    NDManager m = x.getManager();
    long c = x.getShape().get(1);
    if (modelOut.getShape().get(1) != 2 * c) {
      throw new IllegalArgumentException(
          "DDPM with learned-range variance needs a learn_sigma model ("
              + (2 * c)
              + " output channels), got "
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
