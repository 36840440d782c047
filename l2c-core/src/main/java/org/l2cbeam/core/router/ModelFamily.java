package org.l2cbeam.core.router;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.l2cbeam.core.image.SampleQuantization;
import org.l2cbeam.core.io.CheckpointFormatException;
import org.l2cbeam.core.io.WeightMap;

/**
 * The two diffusion-transformer families L2C was released for. A family fixes how cache units are
 * named and counted, which sampler its routers were trained with, how sampling steps pair up
 * ({@link StepPairing}), how classifier-free guidance lays out its calls ({@link GuidanceLayout})
 * and how decoded images are rounded to bytes. Loading a checkpoint of either family, and telling
 * them apart, is {@code ModelCheckpoint}'s job in the model package; what a loaded model can do is
 * {@code DiffusionTransformer}.
 */
public enum ModelFamily {
  /**
   * DiT: {@code 2*depth} units, unit {@code 2b} = attention of block b, {@code 2b+1} = its MLP;
   * DDIM sampler.
   */
  DIT("dit", "ddim", 0.1, new DitStepPairing()),
  /**
   * U-ViT: {@code 2*(depth+1)} units over in-blocks, the mid-block and out-blocks in forward order
   * (depth even); DPM-Solver++(2S) sampler.
   */
  UVIT("uvit", "dpm-solver++(2S)", 0.9, new UViTStepPairing());

  /**
   * How a family runs classifier-free guidance, which decides how many layer caches a run keeps.
   * DiT's {@code forward_with_cfg} stacks the conditional and unconditional rows into one doubled
   * batch: one forward, one cache, one plan. U-ViT's sampler calls the network twice (conditional,
   * then with the null label), so each call keeps its own cache, but both follow the same plan.
   */
  public enum GuidanceLayout {
    /**
     * One forward on {@code [x; x]} with labels {@code [y; null]}: one cache shared by both halves.
     */
    DOUBLED_BATCH,
    /**
     * Two forwards per evaluation (conditional, unconditional): a cache per call, one plan for
     * both.
     */
    SEPARATE_CALLS
  }

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

  /** How classifier-free guidance calls this family's network. */
  public GuidanceLayout guidanceLayout() {
    return this == DIT ? GuidanceLayout.DOUBLED_BATCH : GuidanceLayout.SEPARATE_CALLS;
  }

  /**
   * The guidance weight w ({@code eps = u + w·(c − u)}) of the originals' evaluation runs: DiT's
   * {@code sample_ddp.py} uses 1.5; U-ViT's config has {@code scale = 0.4} in the form {@code c +
   * s·(c − u)}, which is w = 1 + s = 1.4.
   */
  public double defaultCfgScale() {
    return this == DIT ? 1.5 : 1.4;
  }

  /** How this family's original code rounds decoded images to uint8 for sample files and FID. */
  public SampleQuantization quantization() {
    return this == DIT ? SampleQuantization.DIT : SampleQuantization.UVIT;
  }

  /**
   * The family of a state dict, from keys only the one family has: DiT's patch embedder {@code
   * x_embedder} (plain, or under the {@code ema.} wrapper of a training checkpoint), U-ViT's {@code
   * mid_block} and {@code decoder_pred}. Anything else is rejected naming the file.
   */
  public static ModelFamily detect(WeightMap w) {
    if (w.contains("x_embedder.proj.weight") || w.contains("ema.x_embedder.proj.weight"))
      return DIT;
    if (w.contains("mid_block.attn.qkv.weight") && w.contains("decoder_pred.weight")) return UVIT;
    throw new CheckpointFormatException(
        w.source(),
        "neither a DiT checkpoint (no x_embedder.proj.weight, plain or under ema.) nor a U-ViT one (no"
            + " mid_block.attn.qkv.weight / decoder_pred.weight)");
  }

  /** Parses {@code dit} / {@code uvit} (case-insensitive, {@code u-vit} accepted). */
  public static ModelFamily parse(String name) {
    String n = name.toLowerCase(Locale.ROOT).replace("-", "");
    for (ModelFamily f : values()) {
      if (f.id.equals(n)) return f;
    }
    throw new IllegalArgumentException(
        "unknown model family '" + name + "' (expected dit or uvit)");
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
        : units
            + " units cannot be a U-ViT (it has 2*(depth+1) units with an even depth, e.g. 58 for U-ViT-H/2)";
  }

  /**
   * Unit names in unit order: {@code block0.attn, block0.mlp, ...} or {@code in0.attn, ...,
   * mid.mlp, ..., outN.mlp}.
   */
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
