package org.l2cbeam.core.model;

import ai.djl.Device;
import java.util.Map;
import org.l2cbeam.core.io.CheckpointFormatException;
import org.l2cbeam.core.io.WeightMap;
import org.l2cbeam.core.router.ModelFamily;
import org.l2cbeam.core.router.UnitMacs;
import org.l2cbeam.core.runtime.Torch;

/**
 * A DiT or U-ViT checkpoint opened from a path or {@code builtin:NAME}, its family detected from
 * its keys ({@link ModelFamily#detect}): the one way the CLI, the transforms and the benchmarks
 * open a model.
 *
 * <ul>
 *   <li>A DiT training checkpoint's {@code ema} weights are unwrapped, as DiT's {@code find_model}
 *       does.
 *   <li>The configuration is inferred from the tensor shapes, strictly: every expected key with its
 *       shape, nothing extra.
 *   <li>The head count is the one hyper-parameter shapes cannot tell. It comes from, in order: the
 *       caller, a {@code config.json} with {@code num_heads} beside the checkpoint (the builtin
 *       model has one), and the released models' table for the width (DiT: the official sizes'
 *       counts, S 6, B 12, L and XL 16; U-ViT: 16 for widths 1152 and 1024, 8 for 512, else one
 *       head per 64 channels).
 * </ul>
 *
 * <pre>{@code
 * ModelCheckpoint ckpt = ModelCheckpoint.open("/models/uvit_huge.pth");
 * try (DiffusionTransformer model = ckpt.load(0, ModelExecution.defaults())) { ... }
 * }</pre>
 */
public final class ModelCheckpoint {
  private final String location;
  private final WeightMap stateDict;
  private final ModelFamily family;

  private ModelCheckpoint(String location, WeightMap stateDict, ModelFamily family) {
    this.location = location;
    this.stateDict = stateDict;
    this.family = family;
  }

  /** Opens {@code location} (a local path or {@code builtin:NAME}) and detects its family. */
  public static ModelCheckpoint open(String location) {
    WeightMap w = DiTLoader.stateDict(location);
    return new ModelCheckpoint(location, w, ModelFamily.detect(w));
  }

  /**
   * Opens {@code location}, which must hold a model of {@code expected} (null: either); a
   * checkpoint of the other family is rejected naming the file and both families.
   */
  public static ModelCheckpoint open(String location, ModelFamily expected) {
    ModelCheckpoint c = open(location);
    if (expected != null && c.family != expected) {
      throw new CheckpointFormatException(
          c.stateDict.source(),
          "holds a " + c.family.id() + " model, but a " + expected.id() + " model was asked for");
    }
    return c;
  }

  /** The location as given. */
  public String location() {
    return location;
  }

  public ModelFamily family() {
    return family;
  }

  /** The state dict (for a DiT training checkpoint, its unwrapped {@code ema} weights). */
  public WeightMap stateDict() {
    return stateDict;
  }

  /** sha256 of the weights: identifies the model in router artifacts and caches. */
  public String fingerprint() {
    return stateDict.fingerprint();
  }

  /**
   * The head count to use: {@code numHeads} if positive, else {@code config.json}'s, else the
   * released table's.
   */
  public int heads(int numHeads) {
    if (numHeads > 0) return numHeads;
    int configured = DiTLoader.configuredHeads(location);
    if (configured > 0) return configured;
    return family == ModelFamily.DIT
        ? DiTConfig.officialHeads(ditWidth())
        : UViTConfig.defaultHeads(uvitWidth());
  }

  /**
   * The DiT configuration ({@code numHeads <= 0}: found as {@link #heads} says); only for a DiT
   * checkpoint.
   */
  public DiTConfig ditConfig(int numHeads) {
    requireFamily(ModelFamily.DIT);
    return DiTLoader.config(location, stateDict, numHeads);
  }

  /**
   * The U-ViT configuration ({@code numHeads <= 0}: found as {@link #heads} says); only for a U-ViT
   * checkpoint.
   */
  public UViTConfig uvitConfig(int numHeads) {
    requireFamily(ModelFamily.UVIT);
    return UViTConfig.infer(stateDict, heads(numHeads));
  }

  /**
   * What a checkpoint holds, read from its shapes: enough to plan a run without loading the
   * weights.
   */
  public static final class Summary {
    public final ModelFamily family;
    public final int inputSize;
    public final int inChannels;

    /** Real classes; the null label is one more. */
    public final int numClasses;

    public final int units;
    public final int numHeads;

    /** The configuration in the original's argument names. */
    public final Map<String, Object> config;

    /** What each cache unit costs. */
    public final UnitMacs macs;

    Summary(
        ModelFamily family,
        int inputSize,
        int inChannels,
        int numClasses,
        int units,
        int numHeads,
        Map<String, Object> config,
        UnitMacs macs) {
      this.family = family;
      this.inputSize = inputSize;
      this.inChannels = inChannels;
      this.numClasses = numClasses;
      this.units = units;
      this.numHeads = numHeads;
      this.config = config;
      this.macs = macs;
    }
  }

  /**
   * Checks every key and shape against the inferred configuration without loading any weight, and
   * summarises it (what the loaded {@link DiffusionTransformer} will say).
   */
  public Summary validate(int numHeads) {
    if (family == ModelFamily.DIT) {
      DiTConfig c = ditConfig(numHeads);
      stateDict.checkStrict(c.expectedShapes());
      return new Summary(
          family,
          c.inputSize,
          c.inChannels,
          c.numClasses,
          c.units(),
          c.numHeads,
          c.toMap(),
          UnitMacs.of(c));
    }
    UViTConfig c = uvitConfig(numHeads);
    stateDict.checkStrict(c.expectedShapes());
    return new Summary(
        family,
        c.imageSize,
        c.inChannels,
        c.nullLabel(),
        c.units(),
        c.heads,
        c.toMap(),
        UnitMacs.of(c));
  }

  /**
   * Loads the model with {@code execution}'s kernels and precision, on the JVM's default device;
   * its weights live under their own root manager, freed by {@link DiffusionTransformer#close()}.
   */
  public DiffusionTransformer load(int numHeads, ModelExecution execution) {
    return load(numHeads, execution, Torch.defaultDevice());
  }

  /** {@link #load(int, ModelExecution)} with the weights on {@code device}. */
  public DiffusionTransformer load(int numHeads, ModelExecution execution, Device device) {
    if (family == ModelFamily.DIT) {
      return DiT.load(stateDict, ditConfig(numHeads), Torch.newManager(device), execution);
    }
    return UViT.load(stateDict, uvitConfig(numHeads), execution, device);
  }

  /**
   * {@link #load(int, ModelExecution)} with the head count found as {@link #heads} says and the
   * JVM's kernels.
   */
  public DiffusionTransformer load() {
    return load(0, ModelExecution.defaults());
  }

  private int ditWidth() {
    return (int) stateDict.shape("x_embedder.proj.weight")[0];
  }

  private int uvitWidth() {
    return (int) stateDict.shape("patch_embed.proj.weight")[0];
  }

  private void requireFamily(ModelFamily wanted) {
    if (family != wanted) {
      throw new IllegalStateException(
          location + " is a " + family.id() + " checkpoint, not " + wanted.id());
    }
  }
}
