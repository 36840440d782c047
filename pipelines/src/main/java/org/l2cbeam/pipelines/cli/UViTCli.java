package org.l2cbeam.pipelines.cli;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import org.l2cbeam.core.diffusion.Guidance;
import org.l2cbeam.core.io.SafetensorsWriter;
import org.l2cbeam.core.io.TensorData;
import org.l2cbeam.core.io.WeightMap;
import org.l2cbeam.core.model.LayerCache;
import org.l2cbeam.core.model.UViT;
import org.l2cbeam.core.model.UnitPlan;
import org.l2cbeam.core.runtime.Torch;

/**
 * The U-ViT side of {@code l2c forward}: the command detects the model family from the checkpoint's
 * keys and hands U-ViT checkpoints here. Differences from DiT, all from the original code: {@code
 * t} is the float the network receives (continuous time × 1000), and CFG is two calls (cond with
 * {@code y}, then uncond with the null label), each with its own layer cache, combined on all
 * channels as {@code u + w·(c − u)} (the original's scale 0.4 is {@code --cfg-scale 1.4}).
 */
final class UViTCli {
  private UViTCli() {}

  /**
   * {@code l2c forward} for a U-ViT: IN {@code x} F32, {@code t} F32, {@code y} I64 [, {@code x2},
   * {@code t_cache}].
   */
  static int forward(ForwardCommand c) throws Exception {
    WeightMap in = WeightMap.open(c.input);
    TensorData x = CommandInputs.require(in, "x", 4, true, "latents [N, C, H, W]");
    TensorData t =
        CommandInputs.require(
            in, "t", 1, true, "U-ViT network time [N]: continuous time x 1000, float");
    TensorData y = CommandInputs.require(in, "y", 1, false, "class labels [N]");
    TensorData x2 = null;
    TensorData tCache = null;
    if (c.cacheMask != null) {
      x2 =
          CommandInputs.require(
              in, "x2", 4, true, "cache-step latents [N, C, H, W], needed by --cache-mask");
      tCache =
          CommandInputs.require(
              in, "t_cache", 1, true, "cache-step network time [N], needed by --cache-mask");
    }
    Map<String, TensorData> out = new LinkedHashMap<>();
    Torch.inferenceMode();
    try (NDManager manager = Torch.newManager();
        UViT model = c.checkpoint.loadUViT()) {
      boolean[] mask =
          c.cacheMask == null ? null : CommandInputs.parseMask(c.cacheMask, model.units());
      Guidance guidance =
          c.cfgScale == null ? null : new Guidance(c.cfgScale, Guidance.Channels.ALL);
      try (LayerCache cond = new LayerCache(manager, model.units());
          LayerCache uncond = new LayerCache(manager, model.units())) {
        UnitPlan first =
            mask == null ? UnitPlan.computeAll(model.units()) : UnitPlan.recordAll(model.units());
        out.put("out", call(c.input, model, guidance, manager, x, t, y, first, cond, uncond));
        if (mask != null) {
          out.put(
              "out_cache",
              call(
                  c.input,
                  model,
                  guidance,
                  manager,
                  x2,
                  tCache,
                  y,
                  UnitPlan.hard(mask),
                  cond,
                  uncond));
        }
      }
    }
    Map<String, String> meta = new LinkedHashMap<>();
    meta.put("model", c.checkpoint.model);
    meta.put("family", "uvit");
    meta.put("source", c.input.toString());
    if (c.cfgScale != null) meta.put("cfg_scale", c.cfgScale.toString());
    if (c.cacheMask != null) meta.put("cache_mask", c.cacheMask);
    SafetensorsWriter.write(c.output, out, meta);
    return 0;
  }

  private static TensorData call(
      Path input,
      UViT model,
      Guidance guidance,
      NDManager manager,
      TensorData x,
      TensorData t,
      TensorData y,
      UnitPlan plan,
      LayerCache condCache,
      LayerCache uncondCache) {
    try (NDManager scope = manager.newSubManager()) {
      NDArray xa = x.toNDArray(scope);
      float[] ta = t.toFloatArray();
      long[] ya = y.toLongArray();
      try {
        NDArray cond = model.forward(xa, ta, ya, plan, condCache);
        if (guidance == null) {
          return TensorData.of(cond);
        }
        long[] nul = new long[ya.length];
        Arrays.fill(nul, model.config().nullLabel());
        NDArray uncond = model.forward(xa, ta, nul, plan, uncondCache);
        return TensorData.of(guidance.combine(cond, uncond, model.config().inChannels));
      } catch (IllegalArgumentException e) {
        throw CommandInputs.inFile(input, e);
      }
    }
  }
}
