package org.l2cbeam.core.router;

import org.l2cbeam.core.model.DiTConfig;

/**
 * Multiply-accumulates of each cache unit of a DiT, per image and per forward (no CFG doubling), from its shape.
 * Attention and MLP units differ (spec §4.4: DiT-XL/2 at 256 px has 1.510 G per attention unit and 2.718 G per MLP
 * unit), so a budget in MACs must cost each unit by its own kind rather than count units.
 *
 * <ul>
 *   <li>attention: qkv {@code 3TD²} + scores {@code T²D} + weighted values {@code T²D} + proj {@code TD²}
 *       = {@code 4TD² + 2T²D};
 *   <li>MLP: fc1 + fc2 = {@code 2·T·D·H} with {@code H = mlp_ratio·D};
 *   <li>not cacheable, paid on every step: patch embedding, timestep and label embedding, every block's adaLN
 *       Linear (it acts on {@code c}, so it runs even when both branches are reused) and the final layer.
 * </ul>
 */
public final class UnitMacs {
  private final int depth;
  private final double attention;
  private final double mlp;
  private final double uncacheable;

  private UnitMacs(int depth, double attention, double mlp, double uncacheable) {
    this.depth = depth;
    this.attention = attention;
    this.mlp = mlp;
    this.uncacheable = uncacheable;
  }

  /**
   * @param tokens T = (input_size / patch)²
   * @param hidden D
   * @param mlpHidden the MLP width (mlp_ratio · D)
   * @param depth the number of blocks
   * @param patchValues in_channels · patch² (inputs per token of the patch embedding)
   * @param outValues out_channels · patch² (outputs per token of the final linear)
   */
  public static UnitMacs dit(int tokens, int hidden, int mlpHidden, int depth, int patchValues, int outValues) {
    double t = tokens;
    double d = hidden;
    double attention = 4 * t * d * d + 2 * t * t * d;
    double mlp = 2 * t * d * mlpHidden;
    double timestepEmbed = 256 * d + d * d;
    double adaLn = d * 6 * d;
    double patchEmbed = t * d * patchValues;
    double finalLayer = d * 2 * d + t * d * outValues;
    double uncacheable = patchEmbed + timestepEmbed + depth * adaLn + finalLayer;
    return new UnitMacs(depth, attention, mlp, uncacheable);
  }

  /** The costs of a DiT of config {@code c} at its input size. */
  public static UnitMacs of(DiTConfig c) {
    int p2 = c.patchSize * c.patchSize;
    return dit(c.tokens(), c.hiddenSize, c.mlpHidden(), c.depth, c.inChannels * p2, c.outChannels() * p2);
  }

  /** Unit u = 2i is the attention of block i, u = 2i+1 its MLP. */
  public double unit(int u) {
    if (u < 0 || u >= units()) {
      throw new IndexOutOfBoundsException("unit " + u + " of " + units());
    }
    return u % 2 == 0 ? attention : mlp;
  }

  public double attentionUnit() {
    return attention;
  }

  public double mlpUnit() {
    return mlp;
  }

  public int units() {
    return 2 * depth;
  }

  /** MACs of one forward with every unit computed. */
  public double fullForward() {
    return uncacheable + depth * (attention + mlp);
  }

  /** MACs that are paid on every forward whatever the schedule. */
  public double uncacheable() {
    return uncacheable;
  }

  /** MACs of a whole sampling run that follows {@code schedule} (one forward per step). */
  public double run(CacheSchedule schedule) {
    schedule.checkFits(schedule.steps(), units());
    double total = 0;
    for (int k = 0; k < schedule.steps(); k++) {
      total += uncacheable;
      for (int u = 0; u < units(); u++) {
        if (schedule.computes(k, u)) total += unit(u);
      }
    }
    return total;
  }
}
