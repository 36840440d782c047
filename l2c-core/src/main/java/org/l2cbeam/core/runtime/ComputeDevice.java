package org.l2cbeam.core.runtime;

import ai.djl.Device;
import ai.djl.engine.Engine;
import java.io.Serializable;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Where a model and every tensor it creates live, as a user asks for it: {@code auto} (the first
 * GPU if the engine sees one, else the CPU), {@code cpu}, {@code gpu} (the first GPU) or {@code
 * gpu:N}. A request is a plain, serializable value (a transform's option, a CLI flag); {@link
 * #resolve()} turns it into DJL's {@link Device} on the machine that runs the model, which for a
 * Beam pipeline is the worker, not the launcher.
 *
 * <p>Why a request and not a {@link Device}: {@code auto} must be decided where the model runs (a
 * Dataflow launcher has no GPU, its workers do), and asking for a GPU where there is none must fail
 * there with one clear message naming the device and the engine build, never fall back to the CPU
 * silently (a job sized for a GPU would crawl).
 *
 * <p>The JVM's default ({@link #defaults()}) is {@code auto} unless {@code -Dl2c.device=...} or the
 * environment variable {@code L2C_DEVICE} says otherwise; {@link Torch#newManager()} creates its
 * managers there.
 */
public final class ComputeDevice implements Serializable {
  private static final long serialVersionUID = 1L;
  private static final Logger LOG = LoggerFactory.getLogger(ComputeDevice.class);

  /** Each resolved device is logged once per JVM (once per worker), with the engine build. */
  private static final Map<Device, Boolean> LOGGED = new ConcurrentHashMap<>();

  /** The first GPU if the engine sees one, else the CPU. */
  public static final ComputeDevice AUTO = new ComputeDevice(Kind.AUTO, -1);

  public static final ComputeDevice CPU = new ComputeDevice(Kind.CPU, -1);

  private enum Kind {
    AUTO,
    CPU,
    GPU
  }

  private final Kind kind;
  private final int gpuIndex;

  private ComputeDevice(Kind kind, int gpuIndex) {
    this.kind = kind;
    this.gpuIndex = gpuIndex;
  }

  /** GPU number {@code index} as the engine counts them (after {@code CUDA_VISIBLE_DEVICES}). */
  public static ComputeDevice gpu(int index) {
    if (index < 0) throw new IllegalArgumentException("a GPU index is 0 or more, got " + index);
    return new ComputeDevice(Kind.GPU, index);
  }

  /**
   * Parses {@code auto}, {@code cpu}, {@code gpu} or {@code gpu:N} (case-insensitive); a bad value
   * fails with a message naming {@code option}.
   */
  public static ComputeDevice parse(String value, String option) {
    String v = value == null ? "" : value.trim().toLowerCase(Locale.ROOT);
    switch (v) {
      case "auto":
        return AUTO;
      case "cpu":
        return CPU;
      case "gpu":
        return gpu(0);
      default:
        if (v.startsWith("gpu:")) {
          try {
            int index = Integer.parseInt(v.substring(4));
            if (index >= 0) return gpu(index);
          } catch (NumberFormatException e) {
            // reported below
          }
        }
        throw new IllegalArgumentException(
            option + " must be auto, cpu, gpu or gpu:N (N = 0, 1, ...), got '" + value + "'");
    }
  }

  /** {@code -Dl2c.device} or {@code L2C_DEVICE} if set, else {@link #AUTO}. */
  public static ComputeDevice defaults() {
    String v = System.getProperty("l2c.device");
    if (v == null || v.isBlank()) v = System.getenv("L2C_DEVICE");
    return v == null || v.isBlank() ? AUTO : parse(v, "-Dl2c.device / L2C_DEVICE");
  }

  public boolean isAuto() {
    return kind == Kind.AUTO;
  }

  /**
   * The device on this machine. {@code auto} is the first GPU where the engine sees one, else the
   * CPU; a GPU that the engine does not see fails with an {@link IllegalStateException} naming the
   * device and the engine build.
   */
  public Device resolve() {
    Device device;
    switch (kind) {
      case CPU:
        device = Device.cpu();
        break;
      case GPU:
        int visible = visibleGpus();
        if (gpuIndex >= visible) {
          throw new IllegalStateException(
              "device "
                  + this
                  + " was asked for, but "
                  + (visible == 0
                      ? "the engine sees no GPU"
                      : "the engine sees only "
                          + visible
                          + " GPU"
                          + (visible == 1 ? "" : "s")
                          + " (gpu:0.."
                          + (visible - 1)
                          + ")")
                  + ": "
                  + engineBuild()
                  + ". Use device cpu or auto"
                  + (hasCuda()
                      ? ""
                      : ", or run the CUDA build (mvn -Pcuda package) on a machine with an NVIDIA GPU and driver")
                  + ".");
        }
        device = Device.gpu(gpuIndex);
        break;
      default:
        device = visibleGpus() > 0 ? Device.gpu(0) : Device.cpu();
    }
    if (LOGGED.putIfAbsent(device, Boolean.TRUE) == null) {
      LOG.info("l2c: models run on {} (asked for: {}); {}", describe(device), this, engineBuild());
    }
    return device;
  }

  /**
   * The device a worker places a transform's models on: {@code request} resolved, or the JVM's
   * default ({@link Torch#defaultDevice()}) where the transform did not ask for one.
   */
  public static Device resolveOrDefault(ComputeDevice request) {
    return request == null ? Torch.defaultDevice() : request.resolve();
  }

  /**
   * The suffix a per-JVM model cache adds to a model's key for {@code device}: none on the CPU (so
   * CPU keys are what they always were), {@code /gpu:N} on a GPU, so that each GPU holds its own
   * copy.
   */
  public static String cacheKeySuffix(Device device) {
    return device.isGpu() ? "/" + describe(device) : "";
  }

  /** GPUs the engine sees; 0 on a CPU-only libtorch build, whatever the hardware. */
  public static int visibleGpus() {
    return Torch.engine().getGpuCount();
  }

  /** True if the loaded libtorch is a CUDA build (whether or not a GPU is visible). */
  public static boolean hasCuda() {
    return Torch.engine().hasCapability("CUDA");
  }

  /**
   * The engine build in one phrase, e.g. {@code PyTorch 2.7.1 via DJL 0.36.0, CPU-only build} or
   * {@code PyTorch 2.5.1 via DJL 0.33.0, CUDA build, 1 GPU visible}.
   */
  public static String engineBuild() {
    Engine engine = Torch.engine();
    String build =
        hasCuda()
            ? "CUDA build, " + visibleGpus() + " GPU" + (visibleGpus() == 1 ? "" : "s") + " visible"
            : "CPU-only build";
    return engine.getEngineName()
        + " "
        + engine.getVersion()
        + " via DJL "
        + Engine.getDjlVersion()
        + ", "
        + build;
  }

  /** {@code cpu} or {@code gpu:N}: a resolved device as the CLI and the logs write it. */
  public static String describe(Device device) {
    return device.isGpu() ? "gpu:" + device.getDeviceId() : device.getDeviceType();
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof ComputeDevice
        && ((ComputeDevice) o).kind == kind
        && ((ComputeDevice) o).gpuIndex == gpuIndex;
  }

  @Override
  public int hashCode() {
    return Objects.hash(kind, gpuIndex);
  }

  /** {@code auto}, {@code cpu} or {@code gpu:N}: what {@link #parse} reads back. */
  @Override
  public String toString() {
    return kind == Kind.GPU ? "gpu:" + gpuIndex : kind.name().toLowerCase(Locale.ROOT);
  }
}
