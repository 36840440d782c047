package org.l2cbeam.core.diffusion;

import java.util.Locale;
import org.l2cbeam.core.router.ModelFamily;

/**
 * The samplers a model family can run. A family's routers are trained for one of them (its
 * default), because the router rows follow that sampler's step pairing; the others are there for
 * baselines.
 */
public enum SamplerKind {
  /** DDIM with eta = 0 over DiT's respaced linear schedule: what DiT's routers are trained for. */
  DDIM("ddim", ModelFamily.DIT),
  /**
   * Ancestral DDPM with DiT's learned variance (a DiT baseline; step noise drawn from each sample's
   * stream).
   */
  DDPM("ddpm", ModelFamily.DIT),
  /**
   * Singlestep DPM-Solver++ of order 2 on U-ViT's discrete schedule: two network evaluations per
   * outer step, so the number of evaluations (NFE) must be even.
   */
  DPM_SOLVER("dpm-solver", ModelFamily.UVIT);

  private final String cliName;
  private final ModelFamily family;

  SamplerKind(String cliName, ModelFamily family) {
    this.cliName = cliName;
    this.family = family;
  }

  /**
   * The name the CLI and the pipeline options use: {@code ddim}, {@code ddpm} or {@code
   * dpm-solver}.
   */
  public String cliName() {
    return cliName;
  }

  /** The family whose model this sampler runs. */
  public ModelFamily family() {
    return family;
  }

  /**
   * Parses a CLI name, case-insensitively; {@code dpm-solver++(2S)} (how router files name it) and
   * {@code dpm_solver} are accepted for {@link #DPM_SOLVER}.
   */
  public static SamplerKind parse(String name) {
    String n = name == null ? "" : name.trim().toLowerCase(Locale.ROOT).replace('_', '-');
    if (n.startsWith("dpm-solver")) return DPM_SOLVER;
    for (SamplerKind k : values()) {
      if (k.cliName.equals(n)) return k;
    }
    throw new IllegalArgumentException(
        "unknown sampler '" + name + "' (expected ddim or ddpm for a DiT, dpm-solver for a U-ViT)");
  }

  /**
   * Fails unless this sampler runs models of {@code model}; the message starts with {@code option}
   * (e.g. {@code --sampler}) and says which sampler the family takes.
   */
  public void checkRuns(ModelFamily model, String option) {
    if (family == model) return;
    throw new IllegalArgumentException(
        option
            + " "
            + cliName
            + ": "
            + (model == ModelFamily.UVIT
                ? "U-ViT checkpoints sample with dpm-solver (DPM-Solver++(2S), as the original); ddim/ddpm are the DiT"
                    + " samplers"
                : "a DiT samples with ddim or ddpm; dpm-solver is the U-ViT sampler"));
  }

  /**
   * Fails unless {@code steps} suits this sampler, naming {@code option}: DDIM/DDPM respace DiT's
   * 1000 training steps (1..1000), DPM-Solver-2 evaluates twice per outer step (even, at least 2).
   */
  public void checkSteps(int steps, String option) {
    if (this == DPM_SOLVER) {
      if (steps < 2 || steps % 2 != 0) {
        throw new IllegalArgumentException(
            option
                + " "
                + steps
                + ": DPM-Solver-2 (singlestep, order 2) needs an even number of network evaluations"
                + " >= 2 (each outer step evaluates twice), e.g. 20 or 50");
      }
      return;
    }
    if (steps < 1 || steps > NoiseSchedule.DEFAULT_TIMESTEPS) {
      throw new IllegalArgumentException(
          option + " must be in 1.." + NoiseSchedule.DEFAULT_TIMESTEPS + ", got " + steps);
    }
  }
}
