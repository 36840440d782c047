package org.l2cbeam.beam;

import java.nio.file.Path;
import org.checkerframework.checker.nullness.qual.Nullable;
import org.l2cbeam.core.router.RouterArtifact;
import org.l2cbeam.core.router.RouterScores;
import org.l2cbeam.core.router.ThetaSearch;
import org.l2cbeam.core.router.UnitMacs;

/** Reading routers named by location, and checking that one fits a model and a sampler. */
public final class Routers {
  private Routers() {}

  /**
   * Our JSON artifact or an official checkpoint of either family (DiT's {@code DDIM20_router.pt},
   * U-ViT's {@code dpm20_router.pth}; imported at the family's default θ); errors name {@code
   * option}.
   */
  public static RouterArtifact read(String option, String location) {
    if (location == null || location.isBlank()) {
      throw new IllegalArgumentException(option + ": the router location is empty");
    }
    ModelFiles.checkExists(option + " (router)", location);
    Path local = ModelFiles.localCopy(location);
    try {
      return RouterArtifact.open(local);
    } catch (RuntimeException e) {
      throw new IllegalArgumentException(
          option + ": cannot read router " + location + ": " + e.getMessage(), e);
    }
  }

  /**
   * The schedule a sampler runs with {@code router} on a model whose units cost {@code macs}: at
   * {@code theta}, else at the θ that removes {@code macsRemoved} of the run's MACs, else at the
   * router's own θ.
   */
  public static ThetaSearch.Choice choose(
      RouterArtifact router, UnitMacs macs, @Nullable Double theta, @Nullable Double macsRemoved) {
    RouterScores scores = router.scores();
    if (macsRemoved != null) {
      try {
        return scores.forRemovedFraction(macs, macsRemoved);
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("CachedSample.withMacsRemoved: " + e.getMessage(), e);
      }
    }
    return ThetaSearch.forTheta(
        scores.betaPerRow(), scores.cacheRows(), macs, theta != null ? theta : router.theta());
  }

  /**
   * Fails with the mismatch named unless {@code router} was made for this model's family, units and
   * this step count (a DiT router on a U-ViT, or the reverse, names both).
   */
  static void checkFits(RouterArtifact router, ModelRef model, int steps) {
    if (router.family() != model.family()) {
      throw new IllegalArgumentException(
          "CachedSample.withRouter: the router is a "
              + router.family().id()
              + " router ("
              + router.sampler()
              + "), but"
              + " model "
              + model.uri()
              + " is a "
              + model.family().id()
              + " model");
    }
    if (router.steps() != steps) {
      throw new IllegalArgumentException(
          "CachedSample.withRouter: the router was trained for "
              + router.steps()
              + " sampling steps, but withSteps is "
              + steps);
    }
    if (router.scores().units() != model.cacheUnits()) {
      throw new IllegalArgumentException(
          "CachedSample.withRouter: the router has "
              + router.scores().units()
              + " cache units, model "
              + model.uri()
              + " has "
              + model.cacheUnits());
    }
    String fp = router.modelFingerprint();
    if (!RouterArtifact.UNKNOWN_FINGERPRINT.equals(fp) && !fp.equals(model.fingerprint())) {
      throw new IllegalArgumentException(
          "CachedSample.withRouter: the router was trained for model fingerprint "
              + fp
              + ", but model "
              + model.uri()
              + " has "
              + model.fingerprint());
    }
  }
}
