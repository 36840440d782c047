package org.l2cbeam.core.diffusion;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;

/**
 * DDIM with eta = 0 and {@code clip_denoised=False}, as guided-diffusion's {@code ddim_sample} (the
 * sampler of every L2C DiT result): {@code x0 = sqrt(1/ᾱ) x - sqrt(1/ᾱ-1) eps}, eps re-derived from
 * x0, then {@code x_prev = x0 sqrt(ᾱ_prev) + sqrt(1-ᾱ_prev) eps}. Only the first C output channels
 * (eps) are used.
 */
public final class DdimSampler extends SpacedStepSampler {
  public DdimSampler(NoiseSchedule schedule) {
    super(schedule);
  }

  @Override
  NDArray[] stepInScope(NDArray x, NDArray modelOut, int k, NDManager scope) {
    return step(x, modelOut, k);
  }

  /**
   * One DDIM step from spaced step k: returns {@code [x_{k-1}, pred_x0]} in {@code x}'s manager
   * (router training uses this to go from the full step to its cache step).
   */
  public NDArray[] step(NDArray x, NDArray modelOut, int k) {
    NDManager m = x.getManager();
    long c = x.getShape().get(1);
    NDArray eps = modelOut.get(":, 0:" + c);
    NDArray predXStart = schedule.predictXStart(x, eps, k);
    NDArray epsFromX0 = schedule.predictEps(x, predXStart, k);
    float alphaBarPrev = (float) schedule.alphaCumprodPrev(k);
    // th.sqrt on the float32 tensors: the float of the double square root of a float is the float32
    // square root.
    float sqrtPrev = (float) Math.sqrt(alphaBarPrev);
    float sqrtOneMinusPrev = (float) Math.sqrt(1f - alphaBarPrev);
    NDArray mean =
        predXStart
            .mul(NoiseSchedule.f32(m, sqrtPrev))
            .add(epsFromX0.mul(NoiseSchedule.f32(m, sqrtOneMinusPrev)));
    return new NDArray[] {mean, predXStart};
  }
}
