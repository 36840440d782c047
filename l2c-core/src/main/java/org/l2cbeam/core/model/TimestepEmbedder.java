package org.l2cbeam.core.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.nn.core.Linear;

/**
 * DiT's timestep embedding: sinusoidal features of the original 0..999 timestep, laid out {@code [cos, sin]}, then
 * Linear(256 -> D), SiLU, Linear(D -> D).
 */
final class TimestepEmbedder {
  static final int FREQUENCY_DIM = 256;
  private static final int MAX_PERIOD = 10000;

  private final NDArray freqsRow;
  private final NDArray w0;
  private final NDArray b0;
  private final NDArray w2;
  private final NDArray b2;

  TimestepEmbedder(ParameterSource w, NDManager weights) {
    this.w0 = w.load("t_embedder.mlp.0.weight", weights);
    this.b0 = w.load("t_embedder.mlp.0.bias", weights);
    this.w2 = w.load("t_embedder.mlp.2.weight", weights);
    this.b2 = w.load("t_embedder.mlp.2.bias", weights);
    int half = FREQUENCY_DIM / 2;
    // Same float32 op order as DiT: exp(-ln(max_period) * arange(half) / half).
    try (NDArray lnPeriod = weights.full(new ai.djl.ndarray.types.Shape(), (float) -Math.log(MAX_PERIOD));
        NDArray halfArr = weights.full(new ai.djl.ndarray.types.Shape(), half);
        NDArray range = weights.arange(0, half, 1, DataType.FLOAT32);
        NDArray scaled = range.mul(lnPeriod);
        NDArray divided = scaled.div(halfArr)) {
      try (NDArray freqs = divided.exp()) {
        this.freqsRow = freqs.expandDims(0).duplicate();
      }
    }
  }

  /** The sinusoidal features {@code [N, 256]} of float32 timesteps {@code t [N]}. */
  NDArray frequencies(NDArray t) {
    NDArray args = t.expandDims(1).mul(freqsRow);
    return args.cos().concat(args.sin(), 1);
  }

  /** {@code t_emb [N, D]} from the sinusoidal features. */
  NDArray embed(NDArray frequencies) {
    NDArray h = Linear.linear(frequencies, w0, b0).singletonOrThrow();
    return Linear.linear(DiT.silu(h), w2, b2).singletonOrThrow();
  }
}
