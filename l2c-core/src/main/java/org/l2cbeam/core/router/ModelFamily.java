package org.l2cbeam.core.router;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The two diffusion-transformer families L2C was released for. A family fixes how cache units are named and
 * counted, which sampler its routers were trained with, and how sampling steps pair up ({@link StepPairing}).
 */
public enum ModelFamily {
  /** DiT: {@code 2*depth} units, unit {@code 2b} = attention of block b, {@code 2b+1} = its MLP; DDIM sampler. */
  DIT("dit", "ddim", 0.1, new DitStepPairing()),
  /**
   * U-ViT: {@code 2*(depth+1)} units over in-blocks, the mid-block and out-blocks in forward order (depth even);
   * DPM-Solver++(2S) sampler.
   */
  UVIT("uvit", "dpm-solver++(2S)", 0.9, new UViTStepPairing());

  private final String id;
  private final String sampler;
  private final double defaultTheta;
  private final StepPairing pairing;

  ModelFamily(String id, String sampler, double defaultTheta, StepPairing pairing) {
    this.id = id;
    this.sampler = sampler;
    this.defaultTheta = defaultTheta;
    this.pairing = pairing;
  }

  /** The CLI / JSON name: {@code dit} or {@code uvit}. */
  public String id() {
    return id;
  }

  /** The sampler the released routers of this family were trained for. */
  public String sampler() {
    return sampler;
  }

  /** The threshold the paper uses for this family's released routers (DiT 0.1, U-ViT 0.9). */
  public double defaultTheta() {
    return defaultTheta;
  }

  public StepPairing pairing() {
    return pairing;
  }

  /** Parses {@code dit} / {@code uvit} (case-insensitive, {@code u-vit} accepted). */
  public static ModelFamily parse(String name) {
    String n = name.toLowerCase(Locale.ROOT).replace("-", "");
    for (ModelFamily f : values()) {
      if (f.id.equals(n)) return f;
    }
    throw new IllegalArgumentException("unknown model family '" + name + "' (expected dit or uvit)");
  }

  /** Why {@code units} cache units cannot belong to a model of this family, or null if they can. */
  public String unitCountProblem(int units) {
    if (this == DIT) {
      return units >= 2 && units % 2 == 0
          ? null
          : units + " units cannot be a DiT (it has 2 units per block: 2*depth)";
    }
    return units >= 2 && units % 4 == 2
        ? null
        : units + " units cannot be a U-ViT (it has 2*(depth+1) units with an even depth, e.g. 58 for U-ViT-H/2)";
  }

  /** Unit names in unit order: {@code block0.attn, block0.mlp, ...} or {@code in0.attn, ..., mid.mlp, ..., outN.mlp}. */
  public List<String> unitNames(int units) {
    String problem = unitCountProblem(units);
    if (problem != null) throw new IllegalArgumentException(problem);
    List<String> names = new ArrayList<>(units);
    int blocks = units / 2;
    for (int b = 0; b < blocks; b++) {
      String block;
      if (this == DIT) {
        block = "block" + b;
      } else {
        int half = (blocks - 1) / 2;
        block = b < half ? "in" + b : b == half ? "mid" : "out" + (b - half - 1);
      }
      names.add(block + ".attn");
      names.add(block + ".mlp");
    }
    return names;
  }
}
