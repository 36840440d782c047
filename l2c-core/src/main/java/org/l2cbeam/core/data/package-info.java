/**
 * Datasets read for training and FID: Fashion-MNIST IDX files, image folders laid out as
 * torchvision's {@code ImageFolder}, and the conversions to a model's input space.
 */
package org.l2cbeam.core.data;
