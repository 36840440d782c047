/**
 * Router training as the original {@code train_router.py}: the objective per model family, AdamW,
 * resumable checkpoints, and per-cache-step training ({@code RouterTraining.trainCacheStep}), which
 * {@code TrainRouter} fans out.
 */
package org.l2cbeam.core.router.train;
