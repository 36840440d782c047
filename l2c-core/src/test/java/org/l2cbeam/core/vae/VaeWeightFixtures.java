package org.l2cbeam.core.vae;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.l2cbeam.core.io.TensorData;
import org.l2cbeam.core.io.WeightMap;

/**
 * The weight files of a vector set, plus the legacy-named diffusers variant that no stored file
 * carries.
 */
final class VaeWeightFixtures {
  static final String LEGACY = "legacy-names(vae_diffusers_layout.safetensors)";
  static final List<String> WEIGHT_FILES =
      List.of("vae_model.safetensors", "vae_model.pt", "vae_diffusers_layout.safetensors", LEGACY);

  private VaeWeightFixtures() {}

  static VaeCheckpoint checkpoint(VaeVectors vectors, String weights) {
    if (weights.equals(LEGACY)) {
      return VaeCheckpoint.from(
          legacyNamed(WeightMap.open(vectors.file("vae_diffusers_layout.safetensors"))));
    }
    return VaeCheckpoint.open(vectors.file(weights));
  }

  /**
   * Renames modern diffusers attention keys to the pre-0.17 names (what the sd-vae-ft-ema upload
   * carries).
   */
  static WeightMap legacyNamed(WeightMap modern) {
    Map<String, TensorData> renamed = new LinkedHashMap<>();
    modern
        .tensors()
        .forEach(
            (k, v) ->
                renamed.put(
                    k.replace(".to_q.", ".query.")
                        .replace(".to_k.", ".key.")
                        .replace(".to_v.", ".value.")
                        .replace(".to_out.0.", ".proj_attn."),
                    v));
    return new WeightMap(modern.source(), renamed, modern.metadata());
  }
}
