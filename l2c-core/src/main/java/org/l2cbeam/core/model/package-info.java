/**
 * The diffusion transformers, DiT and U-ViT, with L2C's cache units: {@code UnitPlan} decides per
 * unit COMPUTE, REUSE or SOFT (router training), and {@code LayerCache} holds the recorded outputs.
 */
package org.l2cbeam.core.model;
