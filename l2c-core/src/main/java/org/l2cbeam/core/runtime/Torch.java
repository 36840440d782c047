package org.l2cbeam.core.runtime;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDManager;
import ai.djl.pytorch.jni.JniUtils;

/**
 * The one entry point to DJL's PyTorch engine. It forces offline mode before the engine starts, so nothing is ever
 * downloaded and no telemetry probe leaves the machine, whatever the launcher forgot to set.
 */
public final class Torch {
  static {
    System.setProperty("ai.djl.offline", "true");
    System.setProperty("OPT_OUT_TRACKING", "true");
  }

  private Torch() {}

  public static Engine engine() {
    NativeAllocator.checkOnce();
    return Engine.getEngine("PyTorch");
  }

  /** A new root manager; close it (or scope sub-managers under it) to free native memory. */
  public static NDManager newManager() {
    return engine().newBaseManager();
  }

  /**
   * Turns autograd off on the calling thread. Grad mode is thread-local in libtorch and is on for threads other than
   * the one that started the engine (e.g. Beam worker threads), so every inference entry point calls this.
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
