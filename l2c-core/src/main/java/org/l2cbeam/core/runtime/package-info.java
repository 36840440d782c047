/** The libtorch runtime as the project uses it: offline engine loading, managers, grad mode. */
package org.l2cbeam.core.runtime;
