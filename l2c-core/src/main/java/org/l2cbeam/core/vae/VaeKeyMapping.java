package org.l2cbeam.core.vae;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Renames VAE weights between the diffusers and the LDM layout (the rules of diffusers' own {@code
 * convert_ldm_vae_checkpoint}). The only index that changes is the decoder level: LDM stores {@code
 * decoder.up[i]} by resolution level (up.0 = full resolution, executed last), diffusers stores
 * {@code up_blocks[d]} in execution order, so {@code d = levels - 1 - i}. Tensor values are never
 * touched here; the attention weights' [C,C] vs [C,C,1,1] shapes are converted by {@link
 * VaeCheckpoint}.
 */
public final class VaeKeyMapping {
  private VaeKeyMapping() {}

  private static final Pattern DIFFUSERS_DOWN =
      Pattern.compile(
          "encoder\\.down_blocks\\.(\\d+)\\.(resnets|downsamplers|attentions)\\.(\\d+)\\.(.+)");
  private static final Pattern DIFFUSERS_UP =
      Pattern.compile(
          "decoder\\.up_blocks\\.(\\d+)\\.(resnets|upsamplers|attentions)\\.(\\d+)\\.(.+)");
  private static final Pattern DIFFUSERS_MID =
      Pattern.compile("(encoder|decoder)\\.mid_block\\.(resnets|attentions)\\.(\\d+)\\.(.+)");
  private static final Pattern LDM_DOWN =
      Pattern.compile("encoder\\.down\\.(\\d+)\\.(block|attn)\\.(\\d+)\\.(.+)");
  private static final Pattern LDM_DOWNSAMPLE =
      Pattern.compile("encoder\\.down\\.(\\d+)\\.downsample\\.(.+)");
  private static final Pattern LDM_UP =
      Pattern.compile("decoder\\.up\\.(\\d+)\\.(block|attn)\\.(\\d+)\\.(.+)");
  private static final Pattern LDM_UPSAMPLE =
      Pattern.compile("decoder\\.up\\.(\\d+)\\.upsample\\.(.+)");
  private static final Pattern LDM_MID =
      Pattern.compile("(encoder|decoder)\\.mid\\.(block_1|block_2|attn_1)\\.(.+)");

  /**
   * The LDM name of a diffusers key; {@code levels} is the number of resolution levels. Keys that
   * follow neither naming scheme come back unchanged (the strict load then reports them as
   * unexpected).
   */
  public static String toLdm(String key, int levels) {
    Matcher m;
    if ((m = DIFFUSERS_DOWN.matcher(key)).matches()) {
      String level = m.group(1);
      switch (m.group(2)) {
        case "resnets":
          return "encoder.down." + level + ".block." + m.group(3) + "." + resnetToLdm(m.group(4));
        case "downsamplers":
          return "encoder.down." + level + ".downsample." + m.group(4);
        default:
          return "encoder.down." + level + ".attn." + m.group(3) + "." + attentionToLdm(m.group(4));
      }
    }
    if ((m = DIFFUSERS_UP.matcher(key)).matches()) {
      int level = levels - 1 - Integer.parseInt(m.group(1));
      switch (m.group(2)) {
        case "resnets":
          return "decoder.up." + level + ".block." + m.group(3) + "." + resnetToLdm(m.group(4));
        case "upsamplers":
          return "decoder.up." + level + ".upsample." + m.group(4);
        default:
          return "decoder.up." + level + ".attn." + m.group(3) + "." + attentionToLdm(m.group(4));
      }
    }
    if ((m = DIFFUSERS_MID.matcher(key)).matches()) {
      String part = m.group(1);
      if (m.group(2).equals("resnets")) {
        String block =
            m.group(3).equals("0") ? "block_1" : m.group(3).equals("1") ? "block_2" : null;
        if (block == null) return key;
        return part + ".mid." + block + "." + resnetToLdm(m.group(4));
      }
      if (!m.group(3).equals("0")) return key;
      return part + ".mid.attn_1." + attentionToLdm(m.group(4));
    }
    if (key.startsWith("encoder.conv_norm_out.") || key.startsWith("decoder.conv_norm_out.")) {
      return key.replace(".conv_norm_out.", ".norm_out.");
    }
    return key;
  }

  /**
   * The diffusers name of an LDM key. With {@code legacyAttentionNames} the mid attention uses the
   * names written by diffusers before 0.17 ({@code query/key/value/proj_attn}), as in the
   * sd-vae-ft-ema upload.
   */
  public static String toDiffusers(String key, int levels, boolean legacyAttentionNames) {
    Matcher m;
    if ((m = LDM_DOWN.matcher(key)).matches()) {
      String kind = m.group(2).equals("block") ? "resnets" : "attentions";
      String rest =
          kind.equals("resnets")
              ? resnetToDiffusers(m.group(4))
              : attentionToDiffusers(m.group(4), legacyAttentionNames);
      return "encoder.down_blocks." + m.group(1) + "." + kind + "." + m.group(3) + "." + rest;
    }
    if ((m = LDM_DOWNSAMPLE.matcher(key)).matches()) {
      return "encoder.down_blocks." + m.group(1) + ".downsamplers.0." + m.group(2);
    }
    if ((m = LDM_UP.matcher(key)).matches()) {
      int executionIndex = levels - 1 - Integer.parseInt(m.group(1));
      String kind = m.group(2).equals("block") ? "resnets" : "attentions";
      String rest =
          kind.equals("resnets")
              ? resnetToDiffusers(m.group(4))
              : attentionToDiffusers(m.group(4), legacyAttentionNames);
      return "decoder.up_blocks." + executionIndex + "." + kind + "." + m.group(3) + "." + rest;
    }
    if ((m = LDM_UPSAMPLE.matcher(key)).matches()) {
      int executionIndex = levels - 1 - Integer.parseInt(m.group(1));
      return "decoder.up_blocks." + executionIndex + ".upsamplers.0." + m.group(2);
    }
    if ((m = LDM_MID.matcher(key)).matches()) {
      switch (m.group(2)) {
        case "block_1":
          return m.group(1) + ".mid_block.resnets.0." + resnetToDiffusers(m.group(3));
        case "block_2":
          return m.group(1) + ".mid_block.resnets.1." + resnetToDiffusers(m.group(3));
        default:
          return m.group(1)
              + ".mid_block.attentions.0."
              + attentionToDiffusers(m.group(3), legacyAttentionNames);
      }
    }
    if (key.startsWith("encoder.norm_out.") || key.startsWith("decoder.norm_out.")) {
      return key.replace(".norm_out.", ".conv_norm_out.");
    }
    return key;
  }

  /**
   * True for the four attention projections whose weights are [C,C] in diffusers and [C,C,1,1] in
   * LDM.
   */
  static boolean isLdmAttentionProjectionWeight(String ldmKey) {
    return ldmKey.matches(".*\\.(attn_1|attn\\.\\d+)\\.(q|k|v|proj_out)\\.weight");
  }

  private static String resnetToLdm(String rest) {
    return rest.startsWith("conv_shortcut.")
        ? "nin_shortcut." + rest.substring("conv_shortcut.".length())
        : rest;
  }

  private static String resnetToDiffusers(String rest) {
    return rest.startsWith("nin_shortcut.")
        ? "conv_shortcut." + rest.substring("nin_shortcut.".length())
        : rest;
  }

  private static String attentionToLdm(String rest) {
    String[][] renames = {
      {"group_norm.", "norm."},
      {"to_q.", "q."},
      {"query.", "q."},
      {"to_k.", "k."},
      {"key.", "k."},
      {"to_v.", "v."},
      {"value.", "v."},
      {"to_out.0.", "proj_out."},
      {"proj_attn.", "proj_out."},
    };
    for (String[] r : renames) {
      if (rest.startsWith(r[0])) return r[1] + rest.substring(r[0].length());
    }
    return rest;
  }

  private static String attentionToDiffusers(String rest, boolean legacy) {
    String[][] renames = {
      {"norm.", "group_norm."},
      {"q.", legacy ? "query." : "to_q."},
      {"k.", legacy ? "key." : "to_k."},
      {"v.", legacy ? "value." : "to_v."},
      {"proj_out.", legacy ? "proj_attn." : "to_out.0."},
    };
    for (String[] r : renames) {
      if (rest.startsWith(r[0])) return r[1] + rest.substring(r[0].length());
    }
    return rest;
  }
}
