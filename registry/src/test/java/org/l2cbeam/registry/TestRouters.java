package org.l2cbeam.registry;

import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import org.l2cbeam.core.router.ModelFamily;
import org.l2cbeam.core.router.RouterArtifact;
import org.l2cbeam.core.router.RouterScores;

/**
 * Small DiT routers (20 steps, two blocks) for registry tests; each variant has different bytes.
 */
final class TestRouters {
  static final String MODEL_A = RouterRegistry.sha256("model A".getBytes(StandardCharsets.UTF_8));
  static final String MODEL_B = RouterRegistry.sha256("model B".getBytes(StandardCharsets.UTF_8));

  private TestRouters() {}

  /**
   * A router for {@code model} whose logits depend on {@code variant}, with training provenance.
   */
  static RouterArtifact router(String model, int variant) {
    float[][] logits = new float[20][4];
    for (int k = 0; k < logits.length; k++) {
      for (int u = 0; u < 4; u++) logits[k][u] = (k - 10) * 0.25f + u * 0.5f + variant * 0.125f;
    }
    Map<String, Object> training = new LinkedHashMap<>();
    training.put("lambda", 5e-6);
    training.put("lr", 0.05);
    training.put("batch", 16);
    training.put("seed", (long) variant);
    training.put("steps", 40L);
    training.put("dataFingerprint", "data-" + variant);
    training.put("modelFingerprint", model);
    return new RouterArtifact(
        model,
        new RouterScores(ModelFamily.DIT, logits),
        "ddim",
        0.1,
        new RouterArtifact.Provenance("test examples", null, null, "l2c TrainRouter", training));
  }

  static RouterKey keyA() {
    return new RouterKey(MODEL_A, "ddim", 20);
  }
}
