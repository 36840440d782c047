package org.l2cbeam.beam;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;
import java.util.Random;
import org.l2cbeam.core.router.ModelFamily;
import org.l2cbeam.core.router.RouterArtifact;
import org.l2cbeam.core.router.RouterScores;

/** Routers for tests: seeded random logits for a model's units, written as our JSON artifact. */
final class TestRouters {
  private TestRouters() {}

  static RouterArtifact random(int steps, int units, double theta, long seed) {
    Random r = new Random(seed);
    float[][] logits = new float[steps][units];
    for (float[] row : logits)
      for (int u = 0; u < units; u++) row[u] = (float) r.nextGaussian() * 2f;
    return new RouterArtifact(
        RouterArtifact.UNKNOWN_FINGERPRINT,
        new RouterScores(ModelFamily.DIT, logits),
        "ddim",
        theta,
        new RouterArtifact.Provenance("test", "none", "2026-01-01T00:00:00Z", "test", Map.of()));
  }

  static Path write(RouterArtifact a, Path dir, String name) throws IOException {
    Path p = dir.resolve(name);
    a.write(p);
    return p;
  }
}
