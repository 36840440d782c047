package org.l2cbeam.core.model;

import ai.djl.Device;
import java.io.Serializable;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The kernels and precision a model runs with: chosen when the model is loaded, fixed for its life.
 * {@link #defaults()} is {@link Kernels#ONEDNN} at {@link Precision#FP32} unless the JVM says
 * otherwise ({@code -Dl2c.kernels=plain}, {@code -Dl2c.precision=bf16}, or the environment
 * variables {@code L2C_KERNELS} / {@code L2C_PRECISION}).
 *
 * <p>What was asked for is not always what runs: where the oneDNN path cannot load (an old
 * libtorch, a CPU without the needed instructions) the model falls back to the plain path and logs
 * why once; {@code DiT.execution()} and {@code UViT.execution()} report what actually runs.
 */
public final class ModelExecution implements Serializable {
  private static final long serialVersionUID = 1L;
  private static final Logger LOG = LoggerFactory.getLogger(ModelExecution.class);
  private static final AtomicBoolean GPU_FALLBACK_LOGGED = new AtomicBoolean();

  private final Kernels kernels;
  private final Precision precision;

  private ModelExecution(Kernels kernels, Precision precision) {
    this.kernels = Objects.requireNonNull(kernels, "kernels");
    this.precision = Objects.requireNonNull(precision, "precision");
    if (precision == Precision.BF16 && kernels != Kernels.ONEDNN) {
      throw new IllegalArgumentException(
          "bf16 precision needs the onednn kernels, not " + kernels.cliName());
    }
  }

  public static ModelExecution of(Kernels kernels, Precision precision) {
    return new ModelExecution(kernels, precision);
  }

  /** The JVM's default (see the class comment). */
  public static ModelExecution defaults() {
    String kernels = setting("l2c.kernels", "L2C_KERNELS");
    String precision = setting("l2c.precision", "L2C_PRECISION");
    return new ModelExecution(
        kernels == null ? Kernels.ONEDNN : Kernels.parse(kernels, "-Dl2c.kernels / L2C_KERNELS"),
        precision == null
            ? Precision.FP32
            : Precision.parse(precision, "-Dl2c.precision / L2C_PRECISION"));
  }

  /** Parses {@link #toString()}'s form, {@code kernels/precision} (e.g. {@code onednn/bf16}). */
  public static ModelExecution parse(String value) {
    String[] parts = value.split("/", -1);
    if (parts.length != 2) {
      throw new IllegalArgumentException(
          "a model execution is kernels/precision, e.g. onednn/fp32, got '" + value + "'");
    }
    return of(Kernels.parse(parts[0], "kernels"), Precision.parse(parts[1], "precision"));
  }

  /** The reference path: plain NDArray ops in float32. */
  public static ModelExecution plain() {
    return new ModelExecution(Kernels.PLAIN, Precision.FP32);
  }

  private static String setting(String property, String env) {
    String v = System.getProperty(property);
    if (v == null || v.isBlank()) v = System.getenv(env);
    return v == null || v.isBlank() ? null : v;
  }

  /**
   * What runs on {@code device}: this execution on a CPU; the plain path at fp32 anywhere else. The
   * oneDNN kernels are CPU-only (oneDNN's packed weights and {@code mkldnn} ops take CPU tensors
   * only, and their speed-up answers a CPU problem, MKL's AVX2 path on AMD), and bf16 rides on
   * them; on a GPU, libtorch's own CUDA kernels behind the plain NDArray ops are the fast path.
   * Said once per JVM, so a GPU log shows why {@code model.execution()} is plain.
   */
  public ModelExecution on(Device device) {
    if (Device.Type.CPU.equals(device.getDeviceType())
        || kernels == Kernels.PLAIN && precision == Precision.FP32) {
      return this;
    }
    if (GPU_FALLBACK_LOGGED.compareAndSet(false, true)) {
      LOG.info(
          "l2c: models on {} run the plain kernels at fp32 ({} asked for): the oneDNN kernels are CPU-only",
          device,
          this);
    }
    return plain();
  }

  public Kernels kernels() {
    return kernels;
  }

  public Precision precision() {
    return precision;
  }

  public ModelExecution withKernels(Kernels k) {
    return new ModelExecution(k, precision);
  }

  public ModelExecution withPrecision(Precision p) {
    return new ModelExecution(kernels, p);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof ModelExecution
        && ((ModelExecution) o).kernels == kernels
        && ((ModelExecution) o).precision == precision;
  }

  @Override
  public int hashCode() {
    return Objects.hash(kernels, precision);
  }

  /** {@code onednn/fp32}, {@code plain/fp32}, {@code onednn/bf16}. */
  @Override
  public String toString() {
    return kernels.cliName() + "/" + precision.cliName();
  }
}
