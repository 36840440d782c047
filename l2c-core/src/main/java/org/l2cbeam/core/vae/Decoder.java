package org.l2cbeam.core.vae;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.ArrayList;
import java.util.List;

/**
 * The VAE decoder (LDM's {@code Decoder}): [B, z_channels, h, w] → image [B, out, h·f, w·f]. Levels
 * keep the LDM index (level i has width C_i and runs at resolution H/2^i) and execute from the last
 * level down to level 0, the full-resolution one; diffusers' {@code up_blocks[d]} is level {@code
 * L-1-d}, already renamed by {@link VaeKeyMapping}.
 */
final class Decoder {
  private final ConvLayer convIn;
  private final ResnetBlock midBlock1;
  private final MidAttention midAttention;
  private final ResnetBlock midBlock2;

  /** Indexed by LDM level. */
  private final List<List<ResnetBlock>> levelBlocks = new ArrayList<>();

  /** Indexed by LDM level; level 0 has none. */
  private final List<Upsample> upsamples = new ArrayList<>();

  private final GroupNorm normOut;
  private final ConvLayer convOut;

  Decoder(VaeParameters params, NDManager manager) {
    VaeConfig config = params.config();
    int levels = config.levels();
    int top = config.channels(levels - 1);
    convIn = ConvLayer.same3x3(params, "decoder.conv_in", manager);
    midBlock1 = new ResnetBlock(params, "decoder.mid.block_1", top, top, manager);
    midAttention = new MidAttention(params, "decoder.mid.attn_1", manager);
    midBlock2 = new ResnetBlock(params, "decoder.mid.block_2", top, top, manager);
    for (int i = 0; i < levels; i++) {
      int in = i == levels - 1 ? top : config.channels(i + 1);
      List<ResnetBlock> blocks = new ArrayList<>();
      for (int j = 0; j <= config.numResBlocks(); j++) {
        blocks.add(
            new ResnetBlock(
                params,
                "decoder.up." + i + ".block." + j,
                j == 0 ? in : config.channels(i),
                config.channels(i),
                manager));
      }
      levelBlocks.add(blocks);
      upsamples.add(i == 0 ? null : new Upsample(params, "decoder.up." + i + ".upsample", manager));
    }
    normOut = GroupNorm.load(params, "decoder.norm_out", manager);
    convOut = ConvLayer.same3x3(params, "decoder.conv_out", manager);
  }

  /**
   * Runs inside the caller's scope; each step frees the previous activation as soon as it is
   * consumed.
   */
  NDArray forward(NDArray latent, ActivationProbe probe) {
    NDArray h = convIn.forward(latent);
    probe.record("dec.conv_in", h);
    h = replace(h, midBlock1.forward(h));
    probe.record("dec.mid.block_1", h);
    h = replace(h, midAttention.forward(h));
    probe.record("dec.mid.attn_1", h);
    h = replace(h, midBlock2.forward(h));
    probe.record("dec.mid", h);
    for (int i = levelBlocks.size() - 1; i >= 0; i--) {
      for (ResnetBlock block : levelBlocks.get(i)) h = replace(h, block.forward(h));
      if (upsamples.get(i) != null) h = replace(h, upsamples.get(i).forward(h));
      probe.record("dec.up." + i, h);
    }
    return replace(h, convOut.forward(Silu.applyInPlace(normOut.forward(h))));
  }

  private static NDArray replace(NDArray consumed, NDArray next) {
    consumed.close();
    return next;
  }
}
