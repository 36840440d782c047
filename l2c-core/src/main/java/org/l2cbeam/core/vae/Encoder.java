package org.l2cbeam.core.vae;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.ArrayList;
import java.util.List;

/**
 * The VAE encoder (LDM's {@code Encoder}): image [B, in, H, W] → [B, 2·z_channels, H/f, W/f]
 * (before quant_conv).
 */
final class Encoder {
  private final ConvLayer convIn;
  private final List<List<ResnetBlock>> levelBlocks = new ArrayList<>();
  private final List<Downsample> downsamples = new ArrayList<>();
  private final ResnetBlock midBlock1;
  private final MidAttention midAttention;
  private final ResnetBlock midBlock2;
  private final GroupNorm normOut;
  private final ConvLayer convOut;

  Encoder(VaeParameters params, NDManager manager) {
    VaeConfig config = params.config();
    convIn = ConvLayer.same3x3(params, "encoder.conv_in", manager);
    int blockIn = config.baseChannels();
    for (int i = 0; i < config.levels(); i++) {
      List<ResnetBlock> blocks = new ArrayList<>();
      for (int j = 0; j < config.numResBlocks(); j++) {
        blocks.add(
            new ResnetBlock(
                params, "encoder.down." + i + ".block." + j, blockIn, config.channels(i), manager));
        blockIn = config.channels(i);
      }
      levelBlocks.add(blocks);
      downsamples.add(
          i == config.levels() - 1
              ? null
              : new Downsample(params, "encoder.down." + i + ".downsample", manager));
    }
    midBlock1 = new ResnetBlock(params, "encoder.mid.block_1", blockIn, blockIn, manager);
    midAttention = new MidAttention(params, "encoder.mid.attn_1", manager);
    midBlock2 = new ResnetBlock(params, "encoder.mid.block_2", blockIn, blockIn, manager);
    normOut = GroupNorm.load(params, "encoder.norm_out", manager);
    convOut = ConvLayer.same3x3(params, "encoder.conv_out", manager);
  }

  /**
   * Runs inside the caller's scope; each step frees the previous activation as soon as it is
   * consumed.
   */
  NDArray forward(NDArray image, ActivationProbe probe) {
    NDArray h = convIn.forward(image);
    probe.record("enc.conv_in", h);
    for (int i = 0; i < levelBlocks.size(); i++) {
      for (ResnetBlock block : levelBlocks.get(i)) h = replace(h, block.forward(h));
      if (downsamples.get(i) != null) h = replace(h, downsamples.get(i).forward(h));
      probe.record("enc.down." + i, h);
    }
    h = replace(h, midBlock1.forward(h));
    probe.record("enc.mid.block_1", h);
    h = replace(h, midAttention.forward(h));
    probe.record("enc.mid.attn_1", h);
    h = replace(h, midBlock2.forward(h));
    probe.record("enc.mid", h);
    h = replace(h, convOut.forward(Silu.applyInPlace(normOut.forward(h))));
    probe.record("enc.out", h);
    return h;
  }

  private static NDArray replace(NDArray consumed, NDArray next) {
    consumed.close();
    return next;
  }
}
