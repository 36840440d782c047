package org.l2cbeam.core.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.core.Linear;

/**
 * DiT's timestep embedding: the {@link SinusoidalTimeFeatures} of the original 0..999 timestep at
 * width 256, then Linear(256 -> D), SiLU, Linear(D -> D).
 */
final class TimestepEmbedder {
  static final int FREQUENCY_DIM = 256;

  private final SinusoidalTimeFeatures features =
      new SinusoidalTimeFeatures(FREQUENCY_DIM, "DiT's time frequency width");
  private final NDArray w0;
  private final NDArray b0;
  private final NDArray w2;
  private final NDArray b2;

  TimestepEmbedder(ParameterSource w, NDManager weights) {
    this.w0 = w.load("t_embedder.mlp.0.weight", weights);
    this.b0 = w.load("t_embedder.mlp.0.bias", weights);
    this.w2 = w.load("t_embedder.mlp.2.weight", weights);
    this.b2 = w.load("t_embedder.mlp.2.bias", weights);
  }

  /** The sinusoidal features {@code [N, 256]} of the timesteps, created in {@code scope}. */
  NDArray frequencies(float[] timesteps, NDManager scope) {
    return features.of(timesteps, scope);
  }

  /** {@code t_emb [N, D]} from the sinusoidal features. */
  NDArray embed(NDArray frequencies) {
    NDArray h = Linear.linear(frequencies, w0, b0).singletonOrThrow();
    return Linear.linear(DiT.silu(h), w2, b2).singletonOrThrow();
  }
}
