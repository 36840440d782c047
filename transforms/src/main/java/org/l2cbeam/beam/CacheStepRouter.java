package org.l2cbeam.beam;

import java.util.Map;

/**
 * What training one cache step's router produces inside {@link TrainRouter}: the full logit matrix
 * of that run (only row {@link #cacheStep} moved; the other rows are the seed's initial routers,
 * clamped), the provenance map core router training records for it, and the data fingerprint, so
 * the merge can check every step saw the same data. Encoded by {@link CacheStepRouterCoder}.
 */
final class CacheStepRouter {
  final int cacheStep;
  final float[][] logits;
  final Map<String, Object> training;
  final String dataFingerprint;

  CacheStepRouter(
      int cacheStep, float[][] logits, Map<String, Object> training, String dataFingerprint) {
    this.cacheStep = cacheStep;
    this.logits = logits;
    this.training = training;
    this.dataFingerprint = dataFingerprint;
  }

  /** Value equality: the logits bit for bit, the data and the cache step. */
  @Override
  public boolean equals(Object o) {
    if (!(o instanceof CacheStepRouter)) return false;
    CacheStepRouter r = (CacheStepRouter) o;
    return cacheStep == r.cacheStep
        && dataFingerprint.equals(r.dataFingerprint)
        && java.util.Arrays.deepEquals(logits, r.logits);
  }

  @Override
  public int hashCode() {
    return 31 * cacheStep + dataFingerprint.hashCode();
  }
}
