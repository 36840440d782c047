package org.l2cbeam.core.model;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import org.l2cbeam.core.diffusion.Guidance;
import org.l2cbeam.core.io.WeightMap;
import org.l2cbeam.core.router.ModelFamily;
import org.l2cbeam.core.router.UnitMacs;
import org.l2cbeam.core.runtime.SameDevice;

/**
 * A DiT (facebookresearch/DiT {@code models.DiT}) whose blocks expose L2C's cache units. Weights
 * live in one sub-manager owned by the model. Every call works in its own scope: intermediates are
 * freed before returning, and the result is attached to the manager of the input {@code x}
 * (recorded unit outputs go to the {@link LayerCache}).
 *
 * <p>Thread-safety: forward calls only read the weights, so one model may serve several threads;
 * each thread needs its own {@link LayerCache} and must have set its grad mode (see {@code
 * Torch.inferenceMode()}).
 */
public final class DiT implements DiffusionTransformer {
  private final DiTConfig config;
  private final NDManager weights;
  private final PatchEmbedding patches;
  private final NDArray posEmbed;
  private final TimestepEmbedder timestepEmbedder;
  private final LabelEmbedder labelEmbedder;
  private final List<DiTBlock> blocks;
  private final FinalLayer finalLayer;
  private final NDArray lnOnes;
  private final NDArray lnZeros;
  private final BranchKernels kernels;

  private DiT(DiTConfig config, ParameterSource w, NDManager parent, ModelExecution execution) {
    this.config = config;
    this.weights = parent.newSubManager();
    // packed for the rows of one CFG pair: any batch works, this is the common one
    this.kernels =
        BranchKernels.resolve(
            execution.on(weights.getDevice()), 2L * config.gridSize() * config.gridSize());
    try {
      this.patches =
          new PatchEmbedding(w, "x_embedder.proj.", config.patchSize, config.gridSize(), weights);
      this.posEmbed = w.load("pos_embed", weights);
      this.timestepEmbedder = new TimestepEmbedder(w, weights);
      this.labelEmbedder = new LabelEmbedder(w, weights);
      this.lnOnes = weights.ones(new Shape(config.hiddenSize), DataType.FLOAT32);
      this.lnZeros = weights.zeros(new Shape(config.hiddenSize), DataType.FLOAT32);
      List<DiTBlock> b = new ArrayList<>();
      for (int i = 0; i < config.depth; i++) {
        b.add(new DiTBlock(w, i, config, lnOnes, lnZeros, kernels, weights));
      }
      this.blocks = Collections.unmodifiableList(b);
      this.finalLayer = new FinalLayer(w, config.hiddenSize, lnOnes, lnZeros, weights);
    } catch (RuntimeException e) {
      weights.close();
      throw e;
    }
  }

  /**
   * Loads a state dict (already unwrapped, see {@link DiTLoader}) after a strict shape check
   * against the config, with the JVM's default kernels ({@link ModelExecution#defaults()}).
   */
  public static DiT load(WeightMap stateDict, DiTConfig config, NDManager parent) {
    return load(stateDict, config, parent, ModelExecution.defaults());
  }

  /** {@link #load(WeightMap, DiTConfig, NDManager)} with the given kernels and precision. */
  public static DiT load(
      WeightMap stateDict, DiTConfig config, NDManager parent, ModelExecution execution) {
    stateDict.checkStrict(config.expectedShapes());
    return new DiT(config, ParameterSource.of(stateDict), parent, execution);
  }

  /**
   * A model with random N(0, 0.02) weights of {@code config}'s shapes: for speed and memory
   * benchmarks only.
   */
  public static DiT random(DiTConfig config, NDManager parent) {
    return random(config, parent, ModelExecution.defaults());
  }

  public static DiT random(DiTConfig config, NDManager parent, ModelExecution execution) {
    return new DiT(
        config, ParameterSource.random(config.expectedShapes(), 0.02f), parent, execution);
  }

  /** The kernels and precision this model runs with (what was asked for, or its fallback). */
  public ModelExecution execution() {
    return kernels.execution();
  }

  public DiTConfig config() {
    return config;
  }

  @Override
  public ModelFamily family() {
    return ModelFamily.DIT;
  }

  @Override
  public int units() {
    return config.units();
  }

  @Override
  public UnitMacs macs() {
    return UnitMacs.of(config);
  }

  @Override
  public int inChannels() {
    return config.inChannels;
  }

  @Override
  public int inputSize() {
    return config.inputSize;
  }

  @Override
  public int numHeads() {
    return config.numHeads;
  }

  @Override
  public int numClasses() {
    return config.numClasses;
  }

  /**
   * DiT's label embedder has one extra row, {@code num_classes}, for the dropped (unconditional)
   * label.
   */
  @Override
  public int nullLabel() {
    return config.nullClass();
  }

  @Override
  public java.util.Map<String, Object> describe() {
    return config.toMap();
  }

  @Override
  public void checkLabels(long[] labels) {
    checkLabels(labels, false);
  }

  /**
   * The forward of the family interface: timesteps and labels as plain arrays. Timesteps are whole
   * numbers here, so converting them to float32 is exact and this equals {@link #forward(NDArray,
   * NDArray, NDArray, UnitPlan, LayerCache)} on integer tensors.
   */
  @Override
  public NDArray forward(NDArray x, float[] time, long[] labels, UnitPlan plan, LayerCache cache) {
    try (NDManager scope = x.getManager().newSubManager()) {
      return forward(x, scope.create(time), scope.create(labels), plan, cache);
    }
  }

  /**
   * Where the weights live: the device of the manager the model was loaded under. Inputs must come
   * from a manager on this device (see {@link SameDevice}); outputs are created there.
   */
  @Override
  public Device device() {
    return weights.getDevice();
  }

  /** The manager owning the weights (for memory accounting in tests and benchmarks). */
  public NDManager weightsManager() {
    return weights;
  }

  /**
   * How many cache units run on packed oneDNN kernels: every unit on the oneDNN path, unless a
   * layer failed its check.
   */
  int packedUnits() {
    return blocks.stream().mapToInt(DiTBlock::packedBranches).sum();
  }

  /**
   * The plain DiT forward: {@code x [N,C,H,W]}, {@code t [N]} original timesteps, {@code y [N]}
   * labels.
   */
  public NDArray forward(NDArray x, NDArray t, NDArray y) {
    return forward(x, t, y, UnitPlan.computeAll(units()), null, null);
  }

  /**
   * The forward with L2C cache units handled as {@code plan} says, reading and recording {@code
   * cache}.
   */
  public NDArray forward(NDArray x, NDArray t, NDArray y, UnitPlan plan, LayerCache cache) {
    return forward(x, t, y, plan, cache, null);
  }

  /**
   * The forward with an optional probe on intermediates. Returns {@code [N, outC, H, W]} (eps
   * channels, then the learned-variance channels).
   */
  public NDArray forward(
      NDArray x, NDArray t, NDArray y, UnitPlan plan, LayerCache cache, ForwardProbe probe) {
    plan.checkUnits(units(), "the DiT");
    return forward(x, t, y, plan.executor(cache), probe);
  }

  /**
   * The forward with a custom per-unit hook (the most general form; {@link UnitPlan#executor} is
   * the usual one).
   */
  public NDArray forward(NDArray x, NDArray t, NDArray y, UnitExecutor units, ForwardProbe probe) {
    checkInputs(x, t, y);
    NDManager caller = x.getManager();
    try (NDManager scope = caller.newSubManager()) {
      // Inputs belong to the caller: every first op on them is moved into this call's scope.
      NDArray h = patches.tokens(x, scope);
      if (probe != null) probe.observe("x_embed", h);
      h = h.add(posEmbed);

      float[] timesteps = scoped(scope, t.toType(DataType.FLOAT32, true)).toFloatArray();
      NDArray tFreq = timestepEmbedder.frequencies(timesteps, scope);
      if (probe != null) probe.observe("t_freq", tFreq);
      NDArray tEmb = timestepEmbedder.embed(tFreq);
      if (probe != null) probe.observe("t_emb", tEmb);
      NDArray yEmb = labelEmbedder.embed(scoped(scope, y.toType(DataType.INT64, true)));
      if (probe != null) probe.observe("y_emb", yEmb);
      NDArray c = tEmb.add(yEmb);
      if (probe != null) probe.observe("c", c);
      NDArray siluC = silu(c);

      for (DiTBlock block : blocks) {
        h = forwardInOwnScope(block, h, siluC, units, probe, scope);
      }

      NDArray fin = finalLayer.forward(h, siluC);
      if (probe != null) probe.observe("final_layer", fin);
      NDArray out = patches.unpatchify(fin, config.outChannels());
      out.attach(caller);
      return out;
    }
  }

  /**
   * DiT's {@code forward_with_cfg}: takes the first half of {@code x} (as the original does, the
   * second half is ignored), runs ONE forward on {@code [half; half]} with labels {@code y} (second
   * half normally the null class), so both halves share one cache and one plan, then combines eps
   * per {@code guidance}.
   */
  public NDArray forwardWithCfg(
      NDArray x,
      NDArray t,
      NDArray y,
      Guidance guidance,
      UnitPlan plan,
      LayerCache cache,
      ForwardProbe probe) {
    long n = x.getShape().get(0);
    if (n % 2 != 0) {
      throw new IllegalArgumentException(
          "forward_with_cfg needs an even batch (cond; uncond), got " + n);
    }
    NDManager caller = x.getManager();
    try (NDManager scope = caller.newSubManager()) {
      NDArray half = scoped(scope, x.get("0:" + (n / 2)));
      NDArray combined = half.concat(half, 0);
      NDArray out = forward(combined, t, y, plan, cache, probe);
      NDArray guided = guidance.combine(out, config.inChannels);
      guided.attach(caller);
      return guided;
    }
  }

  public NDArray forwardWithCfg(NDArray x, NDArray t, NDArray y, Guidance guidance) {
    return forwardWithCfg(x, t, y, guidance, UnitPlan.computeAll(units()), null, null);
  }

  private void checkInputs(NDArray x, NDArray t, NDArray y) {
    SameDevice.check("latent x", x, device(), "this DiT");
    SameDevice.check("timesteps t", t, device(), "this DiT");
    SameDevice.check("labels y", y, device(), "this DiT");
    Shape s = x.getShape();
    if (s.dimension() != 4
        || s.get(1) != config.inChannels
        || s.get(2) != config.inputSize
        || s.get(3) != config.inputSize) {
      throw new IllegalArgumentException(
          "latent x has shape "
              + Arrays.toString(s.getShape())
              + " but this DiT expects [N, "
              + config.inChannels
              + ", "
              + config.inputSize
              + ", "
              + config.inputSize
              + "]");
    }
    long n = s.get(0);
    if (t.getShape().dimension() != 1 || t.getShape().get(0) != n) {
      throw new IllegalArgumentException(
          "timesteps t have shape "
              + Arrays.toString(t.getShape().getShape())
              + ", expected ["
              + n
              + "]");
    }
    if (y.getShape().dimension() != 1 || y.getShape().get(0) != n) {
      throw new IllegalArgumentException(
          "labels y have shape "
              + Arrays.toString(y.getShape().getShape())
              + ", expected ["
              + n
              + "]");
    }
    try (NDArray labels = y.toType(DataType.INT64, true)) {
      checkLabels(labels.toLongArray(), true);
    }
  }

  /**
   * Fails unless every label is a class {@code 0..num_classes-1} (or, with {@code allowNull}, the
   * CFG null class {@code num_classes}).
   */
  public void checkLabels(long[] labels, boolean allowNull) {
    long max = allowNull ? config.numClasses : config.numClasses - 1;
    for (int i = 0; i < labels.length; i++) {
      if (labels[i] < 0 || labels[i] > max) {
        throw new IllegalArgumentException(
            "label "
                + labels[i]
                + " at position "
                + i
                + " is out of range: this DiT has classes 0.."
                + (config.numClasses - 1)
                + (allowNull ? " and the null class " + config.numClasses : ""));
      }
    }
  }

  /**
   * Runs one block in its own sub-manager and frees its intermediates, and its input, as soon as it
   * returns. A forward then holds one block's activations at a time instead of the whole network's
   * (DiT-XL/2 at batch 2: tens of MB instead of about 2 GB), so the allocator hands the next block
   * memory that is already mapped and warm in cache. {@code siluC} only visits the block scope, so
   * ops on it land there too and it returns to the call scope after. Recorded cache outputs leave
   * the scope through {@link LayerCache#record}.
   */
  private static NDArray forwardInOwnScope(
      DiTBlock block,
      NDArray h,
      NDArray siluC,
      UnitExecutor units,
      ForwardProbe probe,
      NDManager callScope) {
    try (NDManager blockScope = callScope.newSubManager()) {
      h.attach(blockScope);
      siluC.tempAttach(blockScope);
      NDArray out = block.forward(h, siluC, units, probe);
      out.attach(callScope);
      return out;
    }
  }

  static NDArray silu(NDArray x) {
    return x.mul(x.getNDArrayInternal().sigmoid());
  }

  private static NDArray scoped(NDManager scope, NDArray a) {
    a.attach(scope);
    return a;
  }

  @Override
  public void close() {
    weights.close();
  }

  @Override
  public String toString() {
    return "DiT" + Arrays.toString(new int[] {config.hiddenSize, config.depth, config.numHeads});
  }
}
