package org.l2cbeam.beam;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;

import com.google.gson.Gson;
import java.util.TreeMap;
import org.l2cbeam.core.assets.BuiltinAssets;
import org.l2cbeam.core.io.WeightMap;
import org.l2cbeam.core.model.DiT;
import org.l2cbeam.core.model.DiTConfig;
import org.l2cbeam.core.model.DiTLoader;
import org.l2cbeam.core.model.ModelExecution;
import org.l2cbeam.core.runtime.ComputeDevice;
import org.l2cbeam.core.runtime.Torch;

/** Opening DiT checkpoints for the transforms: describing one as a {@link ModelRef}, and the per-JVM shared model. */
public final class DitModels {
  static final String KIND = "dit";

  private DitModels() {}

  /**
   * Reads and validates the checkpoint at {@code location} (keys and shapes against the inferred config, strictly)
   * and describes it. {@code numHeads <= 0} takes the head count from config.json or the official table.
   */
  static ModelRef describe(String location, int numHeads) {
    String readable = readableLocation(location);
    WeightMap w = DiTLoader.stateDict(readable);
    if (!w.contains("x_embedder.proj.weight")) {
      throw new IllegalArgumentException(
          "LoadModel.from(" + location + "): not a DiT checkpoint (no x_embedder.proj.weight, plain or under ema.)");
    }
    DiTConfig config = DiTLoader.config(readable, w, numHeads);
    w.checkStrict(config.expectedShapes());
    String json = new Gson().toJson(new TreeMap<>(config.toMap()));
    return ModelRef.of(
        location, w.fingerprint(), KIND, config.inputSize, config.inChannels, config.numClasses, config.units(),
        config.numHeads, json);
  }

  /**
   * The model of {@code ref}, loaded once per JVM and shared by every DoFn instance and thread. The loaded weights
   * must still have the fingerprint {@link LoadModel} validated, so a checkpoint replaced mid-job is caught.
   */
  public static DiT shared(ModelRef ref) {
    return shared(ref, Torch.defaultDevice());
  }

  /** {@link #shared(ModelRef)} with the weights on {@code device}: one copy per device (one model per GPU). */
  public static DiT shared(ModelRef ref, Device device) {
    ModelExecution execution = ref.resolvedExecution();
    return SharedModels.get(KIND, ref.fingerprint() + "/" + execution + ComputeDevice.cacheKeySuffix(device),
        DiT.class, () -> load(ref, execution, device));
  }

  private static DiT load(ModelRef ref, ModelExecution execution, Device device) {
    String readable = readableLocation(ref.uri());
    WeightMap w = DiTLoader.stateDict(readable);
    String fingerprint = w.fingerprint();
    if (!fingerprint.equals(ref.fingerprint())) {
      throw new IllegalStateException(
          "model " + ref.uri() + " changed since LoadModel validated it: fingerprint " + fingerprint + ", expected "
              + ref.fingerprint());
    }
    DiTConfig config = DiTLoader.config(readable, w, ref.numHeads());
    // Weights live as long as the JVM (SharedModels never evicts), under their own root manager.
    DiT dit = DiT.load(w, config, Torch.newManager(device), execution);
    warmUp(dit);
    return dit;
  }

  /**
   * One small forward, so that libtorch's one-off setup (thread pools, first allocations) is paid at load time and not
   * by the first timed batch: the per-sample compute times the transforms report then compare across batches.
   */
  private static void warmUp(DiT dit) {
    DiTConfig c = dit.config();
    ModelCallGate.run(1, () -> {
      Torch.inferenceMode();
      try (NDManager m = Torch.newManager(dit.device())) {
        NDArray x = m.zeros(new Shape(2, c.inChannels, c.inputSize, c.inputSize));
        NDArray t = m.create(new float[] {500f, 500f});
        NDArray y = m.create(new long[] {0, 0});
        return dit.forward(x, t, y).toFloatArray();
      }
    });
  }

  /** What DiTLoader can open: builtins by name (it finds their config), everything else as a local file. */
  private static String readableLocation(String location) {
    return BuiltinAssets.isBuiltin(location) ? location : ModelFiles.localCopy(location).toString();
  }
}
