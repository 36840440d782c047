package org.l2cbeam.core.runtime;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.engine.PtNDManager;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.lang.reflect.Field;
import java.lang.reflect.Method;

/**
 * Dense, row-major (contiguous NCHW) tensors for every convolution input.
 *
 * <p>Why this exists: a transpose or permute in libtorch is a strided view, and a conv given such a
 * view (e.g. NHWC pixels viewed as NCHW, which libtorch treats as the channels-last memory format)
 * takes a different kernel. On AVX-512 AMD Zen 5 CPUs, libtorch 2.7.1 computes one of those kernels
 * wrongly: the Inception 64→80 1×1 conv at 73×73 erred by 0.67 of the output's maximum, so FID
 * features of real images came out 8–11% wrong, while the same conv on the contiguous layout errs
 * by 4e-7. Channels-last also propagates (conv, batch norm, ReLU and pooling keep the layout of
 * their input), so a strided network input reaches every later conv. Every conv network therefore
 * makes its input, and any tensor it transposes back into an image layout, contiguous through
 * {@link #of}, and nothing else.
 *
 * <p>DJL 0.36 does not expose {@code Tensor.contiguous()}, but its JNI binding has it ({@code
 * torchIsContiguous}, {@code torchToContiguous} of the package-private {@code PyTorchLibrary});
 * this class binds them once.
 */
public final class Contiguous {
  private static final MethodHandle IS_CONTIGUOUS;
  private static final MethodHandle TO_CONTIGUOUS;

  static {
    Torch.engine(); // loads the native library the handles below call into
    try {
      Class<?> library = Class.forName("ai.djl.pytorch.jni.PyTorchLibrary");
      Field instance = library.getDeclaredField("LIB");
      instance.setAccessible(true);
      Object lib = instance.get(null);
      IS_CONTIGUOUS = bind(library, lib, "torchIsContiguous", boolean.class);
      TO_CONTIGUOUS = bind(library, lib, "torchToContiguous", long.class);
    } catch (ReflectiveOperationException e) {
      throw new ExceptionInInitializerError(
          new IllegalStateException(
              "this DJL PyTorch engine has no torchToContiguous binding (built for DJL 0.36)", e));
    }
  }

  private Contiguous() {}

  private static MethodHandle bind(Class<?> library, Object lib, String name, Class<?> result)
      throws ReflectiveOperationException {
    Method m = library.getDeclaredMethod(name, long.class);
    m.setAccessible(true);
    return MethodHandles.lookup()
        .unreflect(m)
        .bindTo(lib)
        .asType(MethodType.methodType(result, long.class));
  }

  /**
   * True if {@code x} is laid out densely in row-major order (libtorch's {@code is_contiguous()}).
   */
  public static boolean is(NDArray x) {
    try {
      return (boolean) IS_CONTIGUOUS.invokeExact(((PtNDArray) x).getHandle().longValue());
    } catch (Throwable t) {
      throw rethrow(t);
    }
  }

  /**
   * {@code x} itself if it is contiguous, else a contiguous copy owned by {@code x}'s manager (so
   * it is freed with the caller's scope, like any other op result).
   */
  public static NDArray of(NDArray x) {
    return of(x, x.getManager());
  }

  /**
   * {@code x} itself if it is contiguous, else a contiguous copy owned by {@code owner}: for a
   * model that must not leave a copy of its caller's input in the caller's manager.
   */
  public static NDArray of(NDArray x, NDManager owner) {
    if (is(x)) {
      return x;
    }
    try {
      long handle = (long) TO_CONTIGUOUS.invokeExact(((PtNDArray) x).getHandle().longValue());
      return new PtNDArray((PtNDManager) owner, handle);
    } catch (Throwable t) {
      throw rethrow(t);
    }
  }

  private static RuntimeException rethrow(Throwable t) {
    if (t instanceof RuntimeException) return (RuntimeException) t;
    if (t instanceof Error) throw (Error) t;
    return new IllegalStateException(t);
  }
}
