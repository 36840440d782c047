package org.l2cbeam.beam;

import java.nio.file.Path;
import org.l2cbeam.core.router.ModelFamily;
import org.l2cbeam.core.router.RouterArtifact;

/** Reading routers named by location, and checking that one fits a model and a sampler. */
final class Routers {
  private Routers() {}

  /** Our JSON artifact or an official checkpoint (imported at its default θ); errors name {@code option}. */
  static RouterArtifact read(String option, String location) {
    if (location == null || location.isBlank()) {
      throw new IllegalArgumentException(option + ": the router location is empty");
    }
    ModelFiles.checkExists(option + " (router)", location);
    Path local = ModelFiles.localCopy(location);
    try {
      return RouterArtifact.looksLikeJson(local)
          ? RouterArtifact.read(local)
          : RouterArtifact.importFrom(local, ModelFamily.DIT, null);
    } catch (RuntimeException e) {
      throw new IllegalArgumentException(option + ": cannot read router " + location + ": " + e.getMessage(), e);
    }
  }

  /** Fails with the mismatch named unless {@code router} was made for this model's units and this step count. */
  static void checkFits(RouterArtifact router, ModelRef model, int steps) {
    if (router.steps() != steps) {
      throw new IllegalArgumentException(
          "CachedSample.withRouter: the router was trained for " + router.steps() + " sampling steps, but withSteps is "
              + steps);
    }
    if (router.scores().units() != model.cacheUnits()) {
      throw new IllegalArgumentException(
          "CachedSample.withRouter: the router has " + router.scores().units() + " cache units, model " + model.uri()
              + " has " + model.cacheUnits());
    }
    String fp = router.modelFingerprint();
    if (!RouterArtifact.UNKNOWN_FINGERPRINT.equals(fp) && !fp.equals(model.fingerprint())) {
      throw new IllegalArgumentException(
          "CachedSample.withRouter: the router was trained for model fingerprint " + fp + ", but model " + model.uri()
              + " has " + model.fingerprint());
    }
  }
}
