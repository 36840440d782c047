package org.l2cbeam.core.model;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.core.Linear;
import ai.djl.nn.norm.LayerNorm;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import org.l2cbeam.core.io.WeightMap;
import org.l2cbeam.core.router.ModelFamily;
import org.l2cbeam.core.router.UnitMacs;
import org.l2cbeam.core.runtime.SameDevice;
import org.l2cbeam.core.runtime.Torch;

/**
 * U-ViT ({@code libs/uvit.py UViT}, Bao et al.) as L2C's U-ViT experiments run it:
 * class-conditional, no time MLP, no final conv. Tokens are {@code [label, time, patches] +
 * pos_embed}; in-blocks push their outputs, out-blocks pop them (LIFO) as long skips; then {@code
 * norm → decoder_pred}, the two extra tokens are dropped and the patches unpatchified. Layers ℓ run
 * in forward order (in-blocks, mid, out-blocks); unit {@code 2ℓ} is the attention and {@code 2ℓ+1}
 * the MLP branch of layer ℓ.
 *
 * <p>Weights live in the model's own manager; {@link #close()} frees them. A forward leaves nothing
 * behind but its result (attached to the input's manager) and whatever the {@link UnitExecutor}
 * keeps.
 */
public final class UViT implements DiffusionTransformer {
  /** Sees the hidden state after every layer (tests and diagnostics). */
  @FunctionalInterface
  public interface LayerListener {
    void afterLayer(int layer, NDArray hidden);
  }

  private final UViTConfig config;
  private final NDManager weights;
  private final NDArray posEmbed, labelTable, normW, normB, decoderW, decoderB;
  private final PatchEmbedding patches;
  private final List<UViTBlock> blocks = new ArrayList<>();
  private final SinusoidalTimeFeatures timeToken;

  private final BranchKernels kernels;

  private UViT(UViTConfig config, ParameterSource w, ModelExecution execution, Device device) {
    this.config = config;
    this.timeToken =
        new SinusoidalTimeFeatures(
            config.hidden, "U-ViT's hidden size (the width of its time token)");
    this.weights = Torch.newManager(device);
    // packed for the rows of one image's tokens (U-ViT runs CFG as two calls): any batch works
    this.kernels = BranchKernels.resolve(execution.on(device), config.tokens());
    try {
      posEmbed = w.load("pos_embed", weights);
      patches =
          new PatchEmbedding(w, "patch_embed.proj.", config.patchSize, config.gridSize(), weights);
      labelTable = w.load("label_emb.weight", weights);
      normW = w.load("norm.weight", weights);
      normB = w.load("norm.bias", weights);
      decoderW = w.load("decoder_pred.weight", weights);
      decoderB = w.load("decoder_pred.bias", weights);
      for (int l = 0; l < config.layers(); l++)
        blocks.add(new UViTBlock(config, l, w, kernels, weights));
    } catch (RuntimeException e) {
      weights.close();
      throw e;
    }
  }

  /**
   * Loads a U-ViT state dict strictly (every key, every shape, nothing extra), with the JVM's
   * default kernels.
   */
  public static UViT load(WeightMap w, UViTConfig config) {
    return load(w, config, ModelExecution.defaults());
  }

  /**
   * {@link #load(WeightMap, UViTConfig)} with the given kernels and precision, on the JVM's default
   * device.
   */
  public static UViT load(WeightMap w, UViTConfig config, ModelExecution execution) {
    return load(w, config, execution, Torch.defaultDevice());
  }

  /**
   * {@link #load(WeightMap, UViTConfig)} with the given kernels and precision, weights on {@code
   * device}.
   */
  public static UViT load(WeightMap w, UViTConfig config, ModelExecution execution, Device device) {
    w.checkStrict(config.expectedShapes());
    return new UViT(config, ParameterSource.of(w), execution, device);
  }

  /**
   * A model of the given shape with random weights (normal, std 0.02; LayerNorm weights 1, biases
   * 0), for benchmarks: the speed of a forward does not depend on the values.
   */
  public static UViT randomWeights(UViTConfig config, long seed) {
    return randomWeights(config, seed, ModelExecution.defaults());
  }

  public static UViT randomWeights(UViTConfig config, long seed, ModelExecution execution) {
    return randomWeights(config, seed, execution, Torch.defaultDevice());
  }

  public static UViT randomWeights(
      UViTConfig config, long seed, ModelExecution execution, Device device) {
    java.util.Map<String, long[]> shapes = config.expectedShapes();
    ParameterSource normal = ParameterSource.random(shapes, 0.02f, seed);
    return new UViT(
        config,
        (key, m) -> {
          ai.djl.ndarray.types.Shape shape = new ai.djl.ndarray.types.Shape(shapes.get(key));
          if (key.contains("norm") && key.endsWith(".weight")) return m.ones(shape);
          if (key.endsWith(".bias")) return m.zeros(shape);
          return normal.load(key, m);
        },
        execution,
        device);
  }

  /** The kernels and precision this model runs with (what was asked for, or its fallback). */
  public ModelExecution execution() {
    return kernels.execution();
  }

  /**
   * Where the weights live; inputs must come from a manager on this device, and outputs are created
   * there.
   */
  @Override
  public Device device() {
    return weights.getDevice();
  }

  /**
   * Loads a U-ViT state dict, inferring the configuration ({@code heads <= 0}: the default for the
   * width).
   */
  public static UViT load(WeightMap w, int heads) {
    return load(w, UViTConfig.infer(w, heads));
  }

  public UViTConfig config() {
    return config;
  }

  @Override
  public ModelFamily family() {
    return ModelFamily.UVIT;
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
    return config.imageSize;
  }

  @Override
  public int numHeads() {
    return config.heads;
  }

  /** The label table's rows minus the null label, its last row. */
  @Override
  public int numClasses() {
    return config.nullLabel();
  }

  @Override
  public int nullLabel() {
    return config.nullLabel();
  }

  @Override
  public java.util.Map<String, Object> describe() {
    return config.toMap();
  }

  @Override
  public void checkLabels(long[] labels) {
    for (int i = 0; i < labels.length; i++) {
      if (labels[i] < 0 || labels[i] >= config.nullLabel()) {
        throw new IllegalArgumentException(
            "label "
                + labels[i]
                + " at position "
                + i
                + " is out of range: this U-ViT has classes 0.."
                + (config.nullLabel() - 1)
                + " ("
                + config.nullLabel()
                + " is the null label)");
      }
    }
  }

  /** Plain forward: every unit computed. */
  public NDArray forward(NDArray x, float[] modelTime, long[] labels) {
    return forward(x, modelTime, labels, UnitExecutor.COMPUTE_ALL, null);
  }

  /**
   * The forward with cache units handled as {@code plan} says, reading and recording {@code cache}.
   */
  @Override
  public NDArray forward(
      NDArray x, float[] modelTime, long[] labels, UnitPlan plan, LayerCache cache) {
    plan.checkUnits(units(), "the U-ViT");
    return forward(x, modelTime, labels, plan.executor(cache), null);
  }

  /**
   * The noise prediction ε for latents {@code x} [B, C, H, W].
   *
   * @param modelTime per sample, the value the network receives: continuous time × 1000 (a float,
   *     not rounded)
   * @param labels per sample, a class in {@code [0, numClasses)}; {@link UViTConfig#nullLabel()} is
   *     unconditional
   * @param units decides per cache unit: compute, reuse or blend
   * @param listener may be null
   * @return ε [B, C, H, W], attached to {@code x}'s manager
   */
  public NDArray forward(
      NDArray x, float[] modelTime, long[] labels, UnitExecutor units, LayerListener listener) {
    checkInputs(x, modelTime, labels);
    NDManager caller = x.getManager();
    try (NDManager scope = caller.newSubManager()) {
      NDArray out = forwardInScope(x, modelTime, labels, units, listener, scope);
      out.attach(caller);
      return out;
    }
  }

  private NDArray forwardInScope(
      NDArray x,
      float[] modelTime,
      long[] labels,
      UnitExecutor units,
      LayerListener listener,
      NDManager scope) {
    int b = (int) x.getShape().get(0);
    NDArray tokens = patches.tokens(x, scope);
    NDArray time = timeToken.of(modelTime, scope).reshape(b, 1, config.hidden);
    NDArray label = labelEmbedding(labels, scope).reshape(b, 1, config.hidden);
    NDArray h = NDArrays.concat(new NDList(label, time, tokens), 1).add(posEmbed);

    Deque<NDArray> skips = new ArrayDeque<>();
    for (int l = 0; l < config.layers(); l++) {
      NDArray skip = l > config.halfDepth ? skips.pop() : null;
      h = blocks.get(l).forward(h, skip, units);
      if (l < config.halfDepth) skips.push(h);
      if (listener != null) listener.afterLayer(l, h);
    }
    h = LayerNorm.layerNorm(h, new Shape(config.hidden), normW, normB, 1e-5f).singletonOrThrow();
    h = Linear.linear(h, decoderW, decoderB).singletonOrThrow();
    return patches.unpatchify(h.get(":, 2:, :"), config.inChannels);
  }

  private NDArray labelEmbedding(long[] labels, NDManager scope) {
    NDList rows = new NDList(labels.length);
    for (long y : labels) {
      NDArray row = labelTable.get(y); // lands in the weights' manager: move it to the call's scope
      row.attach(scope);
      rows.add(row);
    }
    return NDArrays.stack(rows);
  }

  /**
   * The time token before {@code pos_embed}: the {@link SinusoidalTimeFeatures} of each time at the
   * hidden width.
   */
  public float[] timestepEmbedding(float[] modelTime) {
    return timeToken.of(modelTime);
  }

  private void checkInputs(NDArray x, float[] modelTime, long[] labels) {
    SameDevice.check("x", x, device(), "this U-ViT");
    Shape s = x.getShape();
    if (s.dimension() != 4
        || s.get(1) != config.inChannels
        || s.get(2) != config.imageSize
        || s.get(3) != config.imageSize) {
      throw new IllegalArgumentException(
          "x has shape "
              + s
              + ", the model expects [N, "
              + config.inChannels
              + ", "
              + config.imageSize
              + ", "
              + config.imageSize
              + "]");
    }
    long b = s.get(0);
    if (modelTime.length != b) {
      throw new IllegalArgumentException(
          "t has " + modelTime.length + " values for a batch of " + b);
    }
    if (labels.length != b) {
      throw new IllegalArgumentException("y has " + labels.length + " labels for a batch of " + b);
    }
    for (long y : labels) {
      if (y < 0 || y >= config.numClasses) {
        throw new IllegalArgumentException(
            "label "
                + y
                + " is outside [0, "
                + config.numClasses
                + "); the null label is "
                + config.nullLabel());
      }
    }
  }

  @Override
  public void close() {
    weights.close();
  }

  @Override
  public String toString() {
    return config.toString();
  }
}
