package org.l2cbeam.core.io;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * A tensor held on the Java side: dtype, shape and little-endian row-major bytes. The bytes may be
 * a slice of a memory-mapped file, so a reader never copies weights it does not use.
 */
public final class TensorData {
  private final DType dtype;
  private final long[] shape;
  private final ByteBuffer bytes;

  public TensorData(DType dtype, long[] shape, ByteBuffer bytes) {
    this.dtype = dtype;
    this.shape = shape.clone();
    this.bytes = bytes.slice().order(ByteOrder.LITTLE_ENDIAN);
    long expected = numel(shape) * dtype.bytes();
    if (this.bytes.remaining() != expected) {
      throw new IllegalArgumentException(
          "byte count "
              + this.bytes.remaining()
              + " does not match shape "
              + Arrays.toString(shape)
              + " x "
              + dtype
              + " = "
              + expected);
    }
  }

  public static TensorData ofFloats(long[] shape, float[] values) {
    ByteBuffer b = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
    b.asFloatBuffer().put(values);
    return new TensorData(DType.F32, shape, b);
  }

  public static TensorData ofDoubles(long[] shape, double[] values) {
    ByteBuffer b = ByteBuffer.allocate(values.length * 8).order(ByteOrder.LITTLE_ENDIAN);
    b.asDoubleBuffer().put(values);
    return new TensorData(DType.F64, shape, b);
  }

  public static TensorData ofLongs(long[] shape, long[] values) {
    ByteBuffer b = ByteBuffer.allocate(values.length * 8).order(ByteOrder.LITTLE_ENDIAN);
    b.asLongBuffer().put(values);
    return new TensorData(DType.I64, shape, b);
  }

  public static TensorData ofBytes(long[] shape, byte[] values) {
    return new TensorData(DType.U8, shape, ByteBuffer.wrap(values));
  }

  /** Copies a DJL array to the Java side (float32, float64, int64, int32 and uint8 arrays). */
  public static TensorData of(NDArray array) {
    long[] shape = array.getShape().getShape();
    switch (array.getDataType()) {
      case FLOAT32:
        return ofFloats(shape, array.toFloatArray());
      case FLOAT64:
        return ofDoubles(shape, array.toDoubleArray());
      case INT64:
        return ofLongs(shape, array.toLongArray());
      case INT32:
        {
          int[] v = array.toIntArray();
          ByteBuffer b = ByteBuffer.allocate(v.length * 4).order(ByteOrder.LITTLE_ENDIAN);
          b.asIntBuffer().put(v);
          return new TensorData(DType.I32, shape, b);
        }
      case UINT8:
        return ofBytes(shape, array.toByteArray());
      default:
        throw new IllegalArgumentException("unsupported DJL data type " + array.getDataType());
    }
  }

  public static long numel(long[] shape) {
    long n = 1;
    for (long d : shape) {
      if (d < 0) {
        throw new IllegalArgumentException("negative dimension in shape " + Arrays.toString(shape));
      }
      n = Math.multiplyExact(n, d);
    }
    return n;
  }

  public DType dtype() {
    return dtype;
  }

  public long[] shape() {
    return shape.clone();
  }

  public long numel() {
    return numel(shape);
  }

  /** A read-only little-endian view of the raw bytes. */
  public ByteBuffer bytes() {
    return bytes.asReadOnlyBuffer().order(ByteOrder.LITTLE_ENDIAN);
  }

  /**
   * Values widened to float32; BF16 and F16 are widened in Java because DJL's BF16 path aborts the
   * JVM.
   */
  public float[] toFloatArray() {
    int n = Math.toIntExact(numel());
    float[] out = new float[n];
    ByteBuffer b = bytes();
    switch (dtype) {
      case F32:
        b.asFloatBuffer().get(out);
        break;
      case F64:
        for (int i = 0; i < n; i++) out[i] = (float) b.getDouble(i * 8);
        break;
      case F16:
        for (int i = 0; i < n; i++) out[i] = halfToFloat(b.getShort(i * 2));
        break;
      case BF16:
        for (int i = 0; i < n; i++)
          out[i] = Float.intBitsToFloat((b.getShort(i * 2) & 0xffff) << 16);
        break;
      default:
        long[] l = toLongArray();
        for (int i = 0; i < n; i++) out[i] = l[i];
    }
    return out;
  }

  /** Sum, sum of squares and the count of NaN/infinite elements, over the finite elements. */
  public static final class Summary {
    public final double sum;
    public final double sumOfSquares;
    public final long nonFinite;

    Summary(double sum, double sumOfSquares, long nonFinite) {
      this.sum = sum;
      this.sumOfSquares = sumOfSquares;
      this.nonFinite = nonFinite;
    }
  }

  /** The {@link Summary} of the values, read in place (no copy of the tensor, however large). */
  public Summary summary() {
    long n = numel();
    ByteBuffer b = bytes();
    double sum = 0;
    double sq = 0;
    long bad = 0;
    for (long i = 0; i < n; i++) {
      int at = Math.toIntExact(i * dtype.bytes());
      double v = valueAt(b, at);
      if (Double.isFinite(v)) {
        sum += v;
        sq += v * v;
      } else {
        bad++;
      }
    }
    return new Summary(sum, sq, bad);
  }

  private double valueAt(ByteBuffer b, int at) {
    switch (dtype) {
      case F64:
        return b.getDouble(at);
      case F32:
        return b.getFloat(at);
      case F16:
        return halfToFloat(b.getShort(at));
      case BF16:
        return Float.intBitsToFloat((b.getShort(at) & 0xffff) << 16);
      case I64:
        return b.getLong(at);
      case I32:
        return b.getInt(at);
      case I16:
        return b.getShort(at);
      case I8:
        return b.get(at);
      default:
        return b.get(at) & 0xff;
    }
  }

  /** IEEE 754 binary16 to float32 (Java 17 has no Float.float16ToFloat). */
  static float halfToFloat(short h) {
    int bits = h & 0xffff;
    int sign = (bits & 0x8000) << 16;
    int exp = (bits >>> 10) & 0x1f;
    int mant = bits & 0x3ff;
    if (exp == 0x1f) {
      return Float.intBitsToFloat(sign | 0x7f800000 | (mant << 13));
    }
    if (exp == 0) {
      float v = mant * 0x1p-24f;
      return sign == 0 ? v : -v;
    }
    return Float.intBitsToFloat(sign | ((exp + 112) << 23) | (mant << 13));
  }

  public double[] toDoubleArray() {
    int n = Math.toIntExact(numel());
    double[] out = new double[n];
    if (dtype == DType.F64) {
      bytes().asDoubleBuffer().get(out);
    } else if (dtype.isFloating()) {
      float[] f = toFloatArray();
      for (int i = 0; i < n; i++) out[i] = f[i];
    } else {
      long[] l = toLongArray();
      for (int i = 0; i < n; i++) out[i] = l[i];
    }
    return out;
  }

  public long[] toLongArray() {
    int n = Math.toIntExact(numel());
    long[] out = new long[n];
    ByteBuffer b = bytes();
    switch (dtype) {
      case I64:
        b.asLongBuffer().get(out);
        break;
      case I32:
        for (int i = 0; i < n; i++) out[i] = b.getInt(i * 4);
        break;
      case I16:
        for (int i = 0; i < n; i++) out[i] = b.getShort(i * 2);
        break;
      case I8:
        for (int i = 0; i < n; i++) out[i] = b.get(i);
        break;
      case U8:
      case BOOL:
        for (int i = 0; i < n; i++) out[i] = b.get(i) & 0xff;
        break;
      default:
        throw new IllegalStateException("tensor of dtype " + dtype + " is not integral");
    }
    return out;
  }

  /**
   * Creates a torch-owned copy in {@code manager}: floating tensors become FLOAT32 (F64 stays
   * FLOAT64), integral tensors INT64.
   */
  public NDArray toNDArray(NDManager manager) {
    Shape s = new Shape(shape);
    switch (dtype) {
      case F32:
        {
          ByteBuffer b = bytes();
          if (!b.isDirect()) {
            return manager.create(toFloatArray(), s);
          }
          // Zero-copy view of the (usually memory-mapped) bytes, then a torch-owned copy: the
          // mapping may go away.
          try (NDArray view = manager.create(b, s, DataType.FLOAT32)) {
            return view.duplicate();
          }
        }
      case F64:
        return manager.create(toDoubleArray(), s);
      case F16:
      case BF16:
        return manager.create(toFloatArray(), s);
      default:
        return manager.create(toLongArray(), s);
    }
  }

  @Override
  public String toString() {
    return "TensorData{" + dtype + " " + Arrays.toString(shape) + "}";
  }
}
