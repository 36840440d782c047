/**
 * Weight files without Python: safetensors (memory-mapped), PyTorch zip checkpoints through a
 * restricted unpickler, npz/npy, and atomic writers. Bad input fails naming the file and the
 * problem.
 */
package org.l2cbeam.core.io;
