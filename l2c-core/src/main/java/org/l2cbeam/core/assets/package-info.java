/**
 * The bundled assets ({@code builtin:fmnist-dit}, {@code builtin:fashion-mnist}, {@code
 * builtin:fmnist-features}, {@code builtin:fmnist-test-stats}) and how {@code builtin:NAME}
 * locations resolve to them.
 */
package org.l2cbeam.core.assets;
