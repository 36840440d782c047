package org.l2cbeam.core.router.train;

/**
 * The original DiT router training clamps every router parameter to [-5, 5] after every optimiser
 * step ({@code param.clamp_(-5, 5)}), so β = sigmoid(p) stays within [0.0067, 0.9933] and a unit
 * never becomes unrecoverable.
 */
public final class LogitClamp {
  public static final float MIN = -5f;
  public static final float MAX = 5f;

  private LogitClamp() {}

  /**
   * Clamps every logit of every router in place (also routers not trained this step, as the
   * original does).
   */
  public static void apply(float[][] logits) {
    for (float[] row : logits) {
      for (int u = 0; u < row.length; u++) {
        row[u] = Math.max(MIN, Math.min(MAX, row[u]));
      }
    }
  }
}
