package org.l2cbeam.core.runtime.script;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.engine.PtNDManager;
import ai.djl.pytorch.engine.PtSymbolBlock;
import ai.djl.pytorch.jni.IValue;
import ai.djl.pytorch.jni.JniUtils;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.reflect.Constructor;
import java.lang.reflect.Field;
import java.lang.reflect.Method;
import org.l2cbeam.core.runtime.Torch;

/**
 * A loaded TorchScript module whose methods are called with {@link IValue} arguments. Built from
 * source text by {@link TorchScriptArchive}; the module holds no tensors of its own, so one
 * instance serves every thread.
 *
 * <p>Methods run in the TorchScript interpreter with the graph executor's optimisations off on the
 * calling thread: the profiling executor would otherwise re-specialise each method for every new
 * input shape (batch sizes change across a sampling run), and the ops we call are already fused
 * kernels, so it has nothing to gain.
 */
public final class ScriptModule implements AutoCloseable {
  private static final ThreadLocal<Boolean> PLAIN_INTERPRETER = new ThreadLocal<>();

  /**
   * {@code PyTorchLibrary.moduleRunMethod(module, method, ivalues, isTrain, separateCudaStream)}.
   */
  private static final MethodHandle RUN_METHOD;

  /** {@code new IValue(long handle)}: package-private in DJL. */
  private static final MethodHandle NEW_IVALUE;

  static {
    Torch.engine();
    try {
      Class<?> library = Class.forName("ai.djl.pytorch.jni.PyTorchLibrary");
      Field instance = library.getDeclaredField("LIB");
      instance.setAccessible(true);
      Method run =
          library.getDeclaredMethod(
              "moduleRunMethod",
              long.class,
              String.class,
              long[].class,
              boolean.class,
              boolean.class);
      run.setAccessible(true);
      RUN_METHOD = MethodHandles.lookup().unreflect(run).bindTo(instance.get(null));
      Constructor<IValue> wrap = IValue.class.getDeclaredConstructor(long.class);
      wrap.setAccessible(true);
      NEW_IVALUE = MethodHandles.lookup().unreflectConstructor(wrap);
    } catch (ReflectiveOperationException e) {
      throw new ExceptionInInitializerError(
          new IllegalStateException(
              "this DJL PyTorch engine has no moduleRunMethod binding (built for DJL 0.36)", e));
    }
  }

  private static IValue newIValue(long handle) throws Throwable {
    return (IValue) NEW_IVALUE.invokeExact(handle);
  }

  private final NDManager manager;
  private final PtSymbolBlock block;

  private ScriptModule(NDManager manager, PtSymbolBlock block) {
    this.manager = manager;
    this.block = block;
  }

  /**
   * Compiles {@code source} (class {@code className}) into a module. Fails with libtorch's compiler
   * message.
   */
  public static ScriptModule compile(String archiveName, String className, String source) {
    byte[] archive = TorchScriptArchive.write(archiveName, className, source);
    // The module holds no tensors; its manager only owns the module, and TorchScript's oneDNN ops
    // are CPU-only.
    NDManager manager = Torch.newManager(Device.cpu());
    try {
      PtSymbolBlock block =
          JniUtils.loadModule(
              (PtNDManager) manager, new ByteArrayInputStream(archive), false, false);
      return new ScriptModule(manager, block);
    } catch (IOException e) {
      manager.close();
      throw new UncheckedIOException(e);
    } catch (RuntimeException e) {
      manager.close();
      throw e;
    }
  }

  /**
   * Calls {@code method}; the caller owns (and closes) the returned value. Arguments are not
   * closed.
   *
   * <p>DJL's {@code IValueUtils.runMethod} always runs under libtorch's inference mode, whose
   * outputs can never take part in autograd, not even as constants: router training multiplies
   * branch outputs, fresh or recorded in the layer cache by an earlier no-grad step, by a router
   * weight that requires grad, which must save them for the backward pass. So the method runs
   * through DJL's JNI entry point directly, without inference mode; the calling thread's grad mode
   * still decides whether anything is recorded (nothing is, for inputs that do not require grad).
   */
  public IValue call(String method, IValue... args) {
    if (PLAIN_INTERPRETER.get() == null) {
      JniUtils.setGraphExecutorOptimize(false);
      PLAIN_INTERPRETER.set(Boolean.TRUE);
    }
    long[] handles = new long[args.length];
    for (int i = 0; i < args.length; i++) handles[i] = args[i].getHandle();
    try {
      long result =
          (long)
              RUN_METHOD.invokeExact(block.getHandle().longValue(), method, handles, true, false);
      return newIValue(result);
    } catch (RuntimeException | Error e) {
      throw e;
    } catch (Throwable t) {
      throw new IllegalStateException(t);
    }
  }

  /**
   * Calls a method that returns one tensor; the result is owned by {@code out}. Arguments are not
   * closed.
   */
  public NDArray callForTensor(NDManager out, String method, IValue... args) {
    try (IValue result = call(method, args)) {
      return result.toTensor((PtNDManager) out);
    }
  }

  /** A tensor argument; close it after the call (the tensor itself stays with its manager). */
  public static IValue arg(NDArray tensor) {
    return IValue.from((PtNDArray) tensor);
  }

  @Override
  public void close() {
    block.close();
    manager.close();
  }
}
