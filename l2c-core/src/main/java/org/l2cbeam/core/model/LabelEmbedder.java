package org.l2cbeam.core.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.SparseFormat;

/**
 * DiT's class embedding table with one extra row, the CFG null class ({@code num_classes}). Label
 * dropout is the caller's business: router training replaces dropped labels by the null class
 * before calling the model, which is what DiT's {@code force_drop_ids} does.
 */
final class LabelEmbedder {
  private final NDArray table;

  LabelEmbedder(ParameterSource w, NDManager weights) {
    this.table = w.load("y_embedder.embedding_table.weight", weights);
  }

  /** {@code y_emb [N, D]} for labels {@code y [N]} (int64, already range-checked). */
  NDArray embed(NDArray y) {
    // The label array comes first so the result lands in the caller's scope, not the weights'
    // manager.
    return y.getNDArrayInternal().embedding(y, table, SparseFormat.DENSE).singletonOrThrow();
  }
}
