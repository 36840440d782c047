package org.l2cbeam.core.vae;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.stream.Collectors;
import org.l2cbeam.core.io.CheckpointFormatException;

/**
 * The two ways Stable-Diffusion VAE weights are named (docs/how-l2c-works.md, "The Stable-Diffusion
 * VAE"). U-ViT's {@code autoencoder_kl_ema.pth} uses the CompVis LDM names; {@code
 * stabilityai/sd-vae-ft-ema} uses the diffusers names. Detected from the keys alone.
 */
public enum VaeWeightLayout {
  /**
   * {@code encoder.down.{i}.block.{j}...}, {@code decoder.up.{level}...}, attention as 1×1 convs.
   */
  LDM,
  /**
   * {@code encoder.down_blocks.{i}.resnets.{j}...}, {@code decoder.up_blocks.{execution order}...},
   * Linear attention.
   */
  DIFFUSERS;

  /**
   * Keys every real VAE checkpoint has, in LDM names; their presence decides the layout and fills
   * error messages.
   */
  private static final List<String> LDM_ANCHORS =
      List.of(
          "encoder.conv_in.weight",
          "encoder.down.0.block.0.conv1.weight",
          "encoder.mid.attn_1.q.weight",
          "encoder.conv_out.weight",
          "quant_conv.weight",
          "post_quant_conv.weight",
          "decoder.conv_in.weight",
          "decoder.mid.attn_1.q.weight",
          "decoder.up.0.block.0.conv1.weight",
          "decoder.conv_out.weight");

  /**
   * The same anchors in diffusers names (decoder up_blocks.0 is the first executed level, present
   * at any depth).
   */
  private static final List<String> DIFFUSERS_ANCHORS =
      List.of(
          "encoder.conv_in.weight",
          "encoder.down_blocks.0.resnets.0.conv1.weight",
          "encoder.mid_block.attentions.0.to_q.weight",
          "encoder.conv_out.weight",
          "quant_conv.weight",
          "post_quant_conv.weight",
          "decoder.conv_in.weight",
          "decoder.mid_block.attentions.0.to_q.weight",
          "decoder.up_blocks.0.resnets.0.conv1.weight",
          "decoder.conv_out.weight");

  /**
   * Detects the layout of a filtered key set (prefixes already stripped). Mixed or unrecognised key
   * sets fail with the anchor keys each layout would need and which of them are missing.
   */
  public static VaeWeightLayout detect(Collection<String> keys, Path source) {
    return detect(keys, keys, source);
  }

  /**
   * As {@link #detect(Collection, Path)}; {@code allKeys} (before filtering) are quoted when
   * nothing matches.
   */
  static VaeWeightLayout detect(Collection<String> keys, Collection<String> allKeys, Path source) {
    boolean diffusers =
        keys.stream()
            .anyMatch(
                k ->
                    k.startsWith("encoder.down_blocks.")
                        || k.startsWith("decoder.up_blocks.")
                        || k.contains(".mid_block."));
    boolean ldm =
        keys.stream()
            .anyMatch(
                k ->
                    k.startsWith("encoder.down.")
                        || k.startsWith("decoder.up.")
                        || k.contains(".mid."));
    if (diffusers && ldm) {
      throw new CheckpointFormatException(
          source,
          "mixes the LDM VAE layout (e.g. "
              + firstMatching(keys, ".down.", ".up.", ".mid.")
              + ") and the diffusers layout (e.g. "
              + firstMatching(keys, "_blocks.", ".mid_block.")
              + ")");
    }
    if (diffusers) return DIFFUSERS;
    if (ldm) return LDM;
    throw new CheckpointFormatException(source, neitherLayoutMessage(keys, allKeys));
  }

  private static String neitherLayoutMessage(Collection<String> keys, Collection<String> allKeys) {
    List<String> missingLdm = new ArrayList<>();
    List<String> missingDiffusers = new ArrayList<>();
    for (String anchor : LDM_ANCHORS) {
      if (!keys.contains(anchor)) missingLdm.add(anchor);
    }
    for (String anchor : DIFFUSERS_ANCHORS) {
      if (!keys.contains(anchor)) missingDiffusers.add(anchor);
    }
    String found =
        keys.isEmpty()
            ? "it has no tensor under encoder., decoder., quant_conv. or post_quant_conv. (its "
                + allKeys.size()
                + " tensors start with "
                + allKeys.stream().limit(5).collect(Collectors.joining(", "))
                + (allKeys.size() > 5 ? ", ...)" : ")")
            : "its "
                + keys.size()
                + " VAE-like tensors start with "
                + keys.stream().limit(5).collect(Collectors.joining(", "))
                + (keys.size() > 5 ? ", ..." : "");
    return "not a Stable-Diffusion VAE checkpoint in either weight layout: "
        + "LDM layout (U-ViT autoencoder_kl_ema.pth) is missing "
        + missingLdm
        + "; diffusers layout (sd-vae-ft-ema diffusion_pytorch_model) is missing "
        + missingDiffusers
        + "; "
        + found;
  }

  private static String firstMatching(Collection<String> keys, String... fragments) {
    for (String k : keys) {
      for (String f : fragments) {
        if (k.contains(f)) return k;
      }
    }
    return "?";
  }
}
