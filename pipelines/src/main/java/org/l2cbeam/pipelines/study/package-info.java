/**
 * The L2C study ({@code l2c demo --study}): where, on the bundled Fashion-MNIST DiT, a learned
 * cache schedule beats plain DDIM with fewer steps at the same MACs. A fixed list of {@code
 * benchmark} pipeline runs (pieces) on the same repeated request sets, resumable piece by piece,
 * and one report over all of them.
 */
package org.l2cbeam.pipelines.study;
