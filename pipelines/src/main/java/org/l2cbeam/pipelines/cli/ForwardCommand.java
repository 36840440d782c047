package org.l2cbeam.pipelines.cli;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import org.l2cbeam.core.diffusion.Guidance;
import org.l2cbeam.core.io.SafetensorsWriter;
import org.l2cbeam.core.io.TensorData;
import org.l2cbeam.core.io.WeightMap;
import org.l2cbeam.core.model.DiT;
import org.l2cbeam.core.model.LayerCache;
import org.l2cbeam.core.model.UnitPlan;
import org.l2cbeam.core.runtime.Torch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code l2c forward}: one DiT forward (or {@code forward_with_cfg}), optionally an L2C full step
 * followed by a cache step under a hard mask. Tensor names are a contract: in {@code x, t, y[, x2,
 * t_cache]}, out {@code out[, out_cache]}.
 */
@Command(
    name = "forward",
    description =
        "Run a DiT or U-ViT forward (with CFG; or an L2C full step + cache step) on tensors from a file.")
final class ForwardCommand implements Callable<Integer> {
  @Mixin ModelCheckpointOptions checkpoint;

  @Option(
      names = "--input",
      required = true,
      paramLabel = "IN.safetensors",
      description =
          "x [N,C,H,W] F32, t [N] (DiT: I64 original 0..999 timesteps; U-ViT: F32 continuous time x 1000),"
              + " y [N] I64; with --cache-mask also x2, t_cache")
  Path input;

  @Option(
      names = "--output",
      required = true,
      paramLabel = "OUT.safetensors",
      description = "receives out [N,outC,H,W] (and out_cache with --cache-mask)")
  Path output;

  @Option(
      names = "--cfg-scale",
      paramLabel = "S",
      description =
          "guidance weight w: eps = u + w (c - u). DiT: forward_with_cfg, x, t, y are the doubled batch (null"
              + " labels second); U-ViT: two calls, cond with y then uncond with the null label (the original's 0.4 is 1.4)")
  Double cfgScale;

  @Option(
      names = "--cache-mask",
      paramLabel = "BITS",
      description =
          "after a full step on (x, t), run a cache step on (x2, t_cache) computing only units whose bit is 1"
              + " (unit 2b = attention of block b, 2b+1 its MLP)")
  String cacheMask;

  @Override
  public Integer call() throws Exception {
    if (checkpoint.isUViT()) {
      return UViTCli.forward(this);
    }
    WeightMap in = WeightMap.open(input);
    TensorData x = CommandInputs.require(in, "x", 4, true, "latents [N, C, H, W]");
    TensorData t = CommandInputs.require(in, "t", 1, false, "original timesteps [N]");
    TensorData y = CommandInputs.require(in, "y", 1, false, "class labels [N]");
    TensorData x2 = null;
    TensorData tCache = null;
    if (cacheMask != null) {
      x2 =
          CommandInputs.require(
              in, "x2", 4, true, "cache-step latents [N, C, H, W], needed by --cache-mask");
      tCache =
          CommandInputs.require(
              in, "t_cache", 1, false, "cache-step timesteps [N], needed by --cache-mask");
    }
    Map<String, TensorData> out = new LinkedHashMap<>();
    Torch.inferenceMode();
    try (NDManager manager = Torch.newManager();
        DiT dit = checkpoint.loadDiT(manager)) {
      Guidance guidance =
          cfgScale == null ? null : checkpoint.ditGuidance(cfgScale, dit.config().inChannels);
      boolean[] mask = cacheMask == null ? null : CommandInputs.parseMask(cacheMask, dit.units());
      try (LayerCache cache = new LayerCache(manager, dit.units())) {
        UnitPlan first =
            mask == null ? UnitPlan.computeAll(dit.units()) : UnitPlan.recordAll(dit.units());
        out.put("out", call(dit, guidance, manager, x, t, y, first, cache));
        if (mask != null) {
          out.put(
              "out_cache", call(dit, guidance, manager, x2, tCache, y, UnitPlan.hard(mask), cache));
        }
      }
    }
    Map<String, String> meta = new LinkedHashMap<>();
    meta.put("model", checkpoint.model);
    meta.put("source", input.toString());
    if (cfgScale != null) meta.put("cfg_scale", cfgScale.toString());
    if (cacheMask != null) meta.put("cache_mask", cacheMask);
    SafetensorsWriter.write(output, out, meta);
    return 0;
  }

  private TensorData call(
      DiT dit,
      Guidance guidance,
      NDManager manager,
      TensorData x,
      TensorData t,
      TensorData y,
      UnitPlan plan,
      LayerCache cache) {
    try (NDManager scope = manager.newSubManager()) {
      NDArray xa = x.toNDArray(scope);
      NDArray ta = t.toNDArray(scope);
      NDArray ya = y.toNDArray(scope);
      NDArray result;
      try {
        result =
            guidance == null
                ? dit.forward(xa, ta, ya, plan, cache)
                : dit.forwardWithCfg(xa, ta, ya, guidance, plan, cache, null);
      } catch (IllegalArgumentException e) {
        throw CommandInputs.inFile(input, e);
      }
      return TensorData.of(result);
    }
  }
}
