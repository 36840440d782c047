/**
 * 8-bit image batches and the conversions between model outputs and pixels (DiT's and U-ViT's
 * quantisation rules, crops, PNG grids, npz sample files).
 */
package org.l2cbeam.core.image;
