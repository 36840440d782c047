/**
 * Noise schedules and samplers: DDIM/DDPM for DiT ({@code DiTSampler}), DPM-Solver++(2S) for U-ViT
 * ({@code UViTSampler}), classifier-free guidance and per-sample seeded noise; each sampler pairs
 * full and cache steps and applies an optional static L2C {@code CacheSchedule}.
 */
package org.l2cbeam.core.diffusion;
