package org.l2cbeam.core.runtime;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDManager;
import ai.djl.pytorch.jni.JniUtils;

/**
 * The one entry point to DJL's PyTorch engine. It forces offline mode before the engine starts, so
 * nothing is ever downloaded and no telemetry probe leaves the machine, whatever the launcher
 * forgot to set.
 */
public final class Torch {
  static {
    System.setProperty("ai.djl.offline", "true");
    System.setProperty("OPT_OUT_TRACKING", "true");
    NativeAllocator
        .checkOnce(); // here, once per JVM, not on engine(), which every inference scope calls
    MklDispatch
        .installOnce(); // before the engine loads libtorch, whose first MKL call binds the vendor
    // check
  }

  private Torch() {}

  public static Engine engine() {
    return Engine.getEngine("PyTorch");
  }

  /**
   * A new root manager on the JVM's default device ({@link ComputeDevice#defaults()}, resolved
   * once); close it (or scope sub-managers under it) to free native memory.
   */
  public static NDManager newManager() {
    return newManager(defaultDevice());
  }

  /**
   * The JVM's default device: {@link ComputeDevice#defaults()} ({@code auto} unless set), resolved
   * once.
   */
  public static Device defaultDevice() {
    return DefaultDevice.DEVICE;
  }

  /**
   * A new root manager on {@code device}: every tensor created in it or in its sub-managers lives
   * there.
   */
  public static NDManager newManager(Device device) {
    return engine().newBaseManager(device);
  }

  /**
   * Resolved on first use, so that a bad -Dl2c.device fails where a manager is first asked for,
   * with its message.
   */
  private static final class DefaultDevice {
    static final Device DEVICE = ComputeDevice.defaults().resolve();
  }

  /**
   * Turns autograd off on the calling thread. Grad mode is thread-local in libtorch and is on for
   * threads other than the one that started the engine (e.g. Beam worker threads), so every
   * inference entry point calls this.
   */
  public static void inferenceMode() {
    engine();
    JniUtils.setGradMode(false);
  }

  public static void setGradMode(boolean enabled) {
    engine();
    JniUtils.setGradMode(enabled);
  }
}
