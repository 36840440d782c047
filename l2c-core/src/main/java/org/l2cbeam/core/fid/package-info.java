/**
 * FID: the feature networks (pytorch-fid's Inception-v3, the Fashion-MNIST net), the exact
 * mergeable {@code FeatureStats} and the Fréchet distance, as pytorch-fid computes them.
 */
package org.l2cbeam.core.fid;
