package org.l2cbeam.core.io;

import java.nio.ByteBuffer;

/**
 * Re-lays a column-major (Fortran-order) array in row-major (C) order, which is what every reader
 * here expects.
 */
final class FortranOrder {
  private FortranOrder() {}

  static TensorData toCOrder(TensorData t) {
    long[] shape = t.shape();
    if (shape.length < 2) {
      return t;
    }
    int width = t.dtype().bytes();
    int n = Math.toIntExact(t.numel());
    ByteBuffer src = t.bytes();
    byte[] out = new byte[n * width];
    int[] dims = new int[shape.length];
    for (int i = 0; i < dims.length; i++) dims[i] = Math.toIntExact(shape[i]);
    int[] index = new int[dims.length];
    // Walk the C-order destination; the Fortran offset has stride 1 on the first axis.
    for (int c = 0; c < n; c++) {
      int f = 0;
      int stride = 1;
      for (int axis = 0; axis < dims.length; axis++) {
        f += index[axis] * stride;
        stride *= dims[axis];
      }
      for (int b = 0; b < width; b++) out[c * width + b] = src.get(f * width + b);
      for (int axis = dims.length - 1; axis >= 0; axis--) {
        if (++index[axis] < dims[axis]) break;
        index[axis] = 0;
      }
    }
    return new TensorData(t.dtype(), shape, ByteBuffer.wrap(out));
  }
}
