package org.l2cbeam.beam;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import com.google.gson.Gson;
import java.util.Arrays;
import java.util.TreeMap;
import org.checkerframework.checker.nullness.qual.Nullable;
import org.l2cbeam.core.assets.BuiltinAssets;
import org.l2cbeam.core.model.DiffusionTransformer;
import org.l2cbeam.core.model.ModelCheckpoint;
import org.l2cbeam.core.model.ModelExecution;
import org.l2cbeam.core.model.UnitPlan;
import org.l2cbeam.core.router.ModelFamily;
import org.l2cbeam.core.runtime.Torch;

/**
 * Opening DiT and U-ViT checkpoints for the transforms: describing one as a {@link ModelRef}
 * (validated, nothing loaded), and the model itself, loaded once per JVM ({@link
 * SharedModels#model}).
 */
final class FamilyModels {
  private FamilyModels() {}

  /**
   * Reads and validates the checkpoint at {@code location} (family from its keys, then keys and
   * shapes against the inferred config, strictly) and describes it. {@code numHeads <= 0} takes the
   * head count from config.json or the released models' table; {@code expected} (null: either) is
   * the family it must be.
   */
  static ModelRef describe(String location, int numHeads, @Nullable ModelFamily expected) {
    ModelCheckpoint checkpoint;
    ModelCheckpoint.Summary summary;
    try {
      checkpoint = ModelCheckpoint.open(readableLocation(location), expected);
      summary = checkpoint.validate(numHeads);
    } catch (RuntimeException e) {
      throw new IllegalArgumentException("LoadModel.from(" + location + "): " + e.getMessage(), e);
    }
    String json = new Gson().toJson(new TreeMap<>(summary.config));
    return ModelRef.of(
        location,
        checkpoint.fingerprint(),
        summary.family.id(),
        summary.inputSize,
        summary.inChannels,
        summary.numClasses,
        summary.units,
        summary.numHeads,
        json);
  }

  /**
   * The family of the checkpoint at a local path or builtin name, read from its keys alone (no
   * shape checks), naming {@code option} if it is no model of either family; null for a remote
   * location, which only workers read.
   */
  static @Nullable ModelFamily detectLocal(String option, String location) {
    if (ModelFiles.isRemote(location)) return null;
    try {
      return ModelCheckpoint.open(readableLocation(location)).family();
    } catch (RuntimeException e) {
      throw new IllegalArgumentException(option + ": " + e.getMessage(), e);
    }
  }

  /**
   * Loads the model of {@code ref} with {@code execution}. The loaded weights must still have the
   * fingerprint {@link LoadModel} validated, so a checkpoint replaced mid-job is caught.
   */
  static DiffusionTransformer load(ModelRef ref, ModelExecution execution, Device device) {
    ModelCheckpoint checkpoint = ModelCheckpoint.open(readableLocation(ref.uri()), ref.family());
    String fingerprint = checkpoint.fingerprint();
    if (!fingerprint.equals(ref.fingerprint())) {
      throw new IllegalStateException(
          "model "
              + ref.uri()
              + " changed since LoadModel validated it: fingerprint "
              + fingerprint
              + ", expected "
              + ref.fingerprint());
    }
    // Weights live as long as the JVM (SharedModels never evicts), under their own root manager on
    // the device.
    DiffusionTransformer model = checkpoint.load(ref.numHeads(), execution, device);
    warmUp(model);
    return model;
  }

  /**
   * One small forward, so that libtorch's one-off setup (thread pools, first allocations) is paid
   * at load time and not by the first timed batch: the per-sample compute times the transforms
   * report then compare across batches.
   */
  private static void warmUp(DiffusionTransformer model) {
    ModelCallGate.run(
        1,
        () -> {
          Torch.inferenceMode();
          try (NDManager m = Torch.newManager(model.device())) {
            NDArray x =
                m.zeros(new Shape(2, model.inChannels(), model.inputSize(), model.inputSize()));
            float[] time = {500f, 500f};
            long[] labels = new long[2];
            Arrays.fill(labels, 0);
            return model
                .forward(x, time, labels, UnitPlan.computeAll(model.units()), null)
                .toFloatArray();
          }
        });
  }

  /**
   * What the checkpoint readers can open: builtins by name (their config is found), else a local
   * file.
   */
  private static String readableLocation(String location) {
    return BuiltinAssets.isBuiltin(location) ? location : ModelFiles.localCopy(location).toString();
  }
}
