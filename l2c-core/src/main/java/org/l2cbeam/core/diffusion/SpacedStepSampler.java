package org.l2cbeam.core.diffusion;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;

/**
 * The reverse-diffusion loop shared by guided-diffusion's single-evaluation samplers (DDIM,
 * ancestral DDPM): walk the spaced steps {@code k = N-1 ... 0} of a respaced {@link NoiseSchedule},
 * call the model once per step at the original timestep {@code schedule.timestep(k)}, and let the
 * subclass turn that output into the next sample. Keeping the loop in one place keeps the per-step
 * memory scoping identical for every such sampler.
 */
abstract class SpacedStepSampler implements Sampler {
  /** Read directly by the subclasses' step arithmetic. */
  final NoiseSchedule schedule;

  SpacedStepSampler(NoiseSchedule schedule) {
    this.schedule = schedule;
  }

  @Override
  public final NoiseSchedule schedule() {
    return schedule;
  }

  @Override
  public final NDArray sample(NDArray xT, Denoiser model, StepListener listener) {
    NDManager outer = xT.getManager();
    NDArray x =
        xT.duplicate(); // the caller keeps xT; each step's input is freed with that step's scope
    for (int k = schedule.steps() - 1; k >= 0; k--) {
      try (NDManager scope = outer.newSubManager()) {
        x.attach(scope);
        NDArray modelOut = model.predict(x, k, schedule.timestep(k));
        modelOut.attach(scope);
        NDArray[] next = stepInScope(x, modelOut, k, scope);
        listener.onStep(k, next[0], next[1], modelOut);
        next[0].attach(outer);
        x = next[0];
      }
    }
    return x;
  }

  /**
   * One step from spaced step k: returns {@code [x_{k-1}, pred_x0]}. {@code scope} is the step's
   * manager, which owns {@code x} and {@code modelOut}; anything else the step creates (e.g. noise)
   * belongs there too.
   */
  abstract NDArray[] stepInScope(NDArray x, NDArray modelOut, int k, NDManager scope);
}
