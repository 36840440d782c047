package org.l2cbeam.core.model;

import ai.djl.ndarray.NDArray;

/**
 * Observes named intermediate values of a forward call (tests, NaN diagnosis). Called
 * synchronously; the array is only valid during the call, so copy what you keep. Names for a DiT:
 * {@code t_freq}, {@code x_embed}, {@code t_emb}, {@code y_emb}, {@code c}, {@code block<i>.adaLN},
 * {@code block<i>.attn_out}, {@code block<i>.mlp_out}, {@code block<i>.out}, {@code final_layer}.
 */
@FunctionalInterface
public interface ForwardProbe {
  void observe(String name, NDArray value);

  /** Unit index of a {@code block<i>.attn_out} / {@code block<i>.mlp_out} probe name, or -1. */
  static int unitOf(String name) {
    if (!name.startsWith("block")) return -1;
    int dot = name.indexOf('.');
    if (dot < 0) return -1;
    int block;
    try {
      block = Integer.parseInt(name.substring(5, dot));
    } catch (NumberFormatException e) {
      return -1;
    }
    String part = name.substring(dot + 1);
    if (part.equals("attn_out")) return 2 * block;
    if (part.equals("mlp_out")) return 2 * block + 1;
    return -1;
  }
}
