package org.l2cbeam.core.router;

import org.l2cbeam.core.model.DiTConfig;
import org.l2cbeam.core.model.UViTConfig;

/**
 * Multiply-accumulates of each cache unit of a DiT or a U-ViT, per image and per forward (no CFG
 * doubling), from its shape. Attention and MLP units differ (DiT-XL/2 at 256 px: 1.510 G per
 * attention unit, 2.718 G per MLP unit), so a budget in MACs must cost each unit by its own kind
 * rather than count units. Both families share the branch costs:
 *
 * <ul>
 *   <li>attention: qkv {@code 3TD²} + scores {@code T²D} + weighted values {@code T²D} + proj
 *       {@code TD²} = {@code 4TD² + 2T²D};
 *   <li>MLP: fc1 + fc2 = {@code 2·T·D·H} with {@code H} the MLP width;
 *   <li>not cacheable, paid on every forward: DiT's patch embedding, timestep and label embedding,
 *       every block's adaLN Linear (it acts on the conditioning, so it runs even when both branches
 *       are reused) and the final layer; U-ViT's patch embedding, the long-skip {@code skip_linear}
 *       of every out-block and the decoder.
 * </ul>
 *
 * <p>A sampling run is costed per schedule row: DiT's DDIM evaluates the network once per row,
 * U-ViT's DPM-Solver-2 twice (only the first of the two may reuse the cache; the second is always
 * full).
 */
public final class UnitMacs {
  private final int blocks;
  private final double attention;
  private final double mlp;
  private final double uncacheable;
  private final int evaluationsPerRow;

  private UnitMacs(
      int blocks, double attention, double mlp, double uncacheable, int evaluationsPerRow) {
    this.blocks = blocks;
    this.attention = attention;
    this.mlp = mlp;
    this.uncacheable = uncacheable;
    this.evaluationsPerRow = evaluationsPerRow;
  }

  /**
   * @param tokens T = (input_size / patch)²
   * @param hidden D
   * @param mlpHidden the MLP width (mlp_ratio · D)
   * @param depth the number of blocks
   * @param patchValues in_channels · patch² (inputs per token of the patch embedding)
   * @param outValues out_channels · patch² (outputs per token of the final linear)
   */
  public static UnitMacs dit(
      int tokens, int hidden, int mlpHidden, int depth, int patchValues, int outValues) {
    double t = tokens;
    double d = hidden;
    double attention = 4 * t * d * d + 2 * t * t * d;
    double mlp = 2 * t * d * mlpHidden;
    double timestepEmbed = 256 * d + d * d;
    double adaLn = d * 6 * d;
    double patchEmbed = t * d * patchValues;
    double finalLayer = d * 2 * d + t * d * outValues;
    double uncacheable = patchEmbed + timestepEmbed + depth * adaLn + finalLayer;
    return new UnitMacs(depth, attention, mlp, uncacheable, 1);
  }

  /** The costs of a DiT of config {@code c} at its input size. */
  public static UnitMacs of(DiTConfig c) {
    int p2 = c.patchSize * c.patchSize;
    return dit(
        c.tokens(), c.hiddenSize, c.mlpHidden(), c.depth, c.inChannels * p2, c.outChannels() * p2);
  }

  /**
   * The costs of a U-ViT of config {@code c}. Its tokens include the label and time tokens ({@code
   * T = 2 + grid²}); the patch embedding reads {@code C·p²} values per patch token and the decoder
   * writes as many per token.
   */
  public static UnitMacs of(UViTConfig c) {
    double t = c.tokens();
    double d = c.hidden;
    double attention = 4 * t * d * d + 2 * t * t * d;
    double mlp = 2 * t * d * c.mlpHidden;
    double patchValues = (double) c.patchSize * c.patchSize * c.inChannels;
    double skipLinear = c.halfDepth * t * 2 * d * d;
    double uncacheable = skipLinear + (t - 2) * patchValues * d + t * d * patchValues;
    return new UnitMacs(
        c.layers(), attention, mlp, uncacheable, ModelFamily.UVIT.pairing().evaluationsPerRow());
  }

  /** Unit u = 2i is the attention of block (layer) i, u = 2i+1 its MLP. */
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
    return 2 * blocks;
  }

  /** Network evaluations per schedule row: 1 for DiT/DDIM, 2 for U-ViT/DPM-Solver-2. */
  public int evaluationsPerRow() {
    return evaluationsPerRow;
  }

  /** MACs of one forward with every unit computed. */
  public double fullForward() {
    return uncacheable + blocks * (attention + mlp);
  }

  /**
   * MACs of a whole plain run of {@code rows} schedule rows (every evaluation computes every unit).
   */
  public double fullRun(int rows) {
    return (double) rows * evaluationsPerRow * fullForward();
  }

  /** MACs that are paid on every forward whatever the schedule. */
  public double uncacheable() {
    return uncacheable;
  }

  /**
   * MACs of a whole sampling run that follows {@code schedule}: per row, the evaluation the row
   * decides, plus the row's other evaluations in full.
   */
  public double run(CacheSchedule schedule) {
    schedule.checkFits(schedule.steps(), units());
    double total = 0;
    for (int k = 0; k < schedule.steps(); k++) {
      total += (evaluationsPerRow - 1) * fullForward() + uncacheable;
      for (int u = 0; u < units(); u++) {
        if (schedule.computes(k, u)) total += unit(u);
      }
    }
    return total;
  }

  /**
   * The speedup if time were proportional to MACs: a plain run's MACs over {@code schedule}'s (CFG
   * doubles both, so it cancels). How L2C's papers state their theoretical speedups.
   */
  public double speedup(CacheSchedule schedule) {
    return fullRun(schedule.steps()) / run(schedule);
  }
}
