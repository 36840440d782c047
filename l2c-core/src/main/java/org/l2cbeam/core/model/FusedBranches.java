package org.l2cbeam.core.model;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.core.Linear;
import ai.djl.pytorch.jni.IValue;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.EnumMap;
import java.util.Map;
import org.l2cbeam.core.runtime.Torch;
import org.l2cbeam.core.runtime.script.ScriptModule;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@link Kernels#ONEDNN} path: one JVM-wide TorchScript module, compiled from {@code
 * TransformerBranches.torchscript} (our own source, beside this class), whose methods compute a
 * whole attention or MLP branch, or one linear layer, on weights packed once by oneDNN.
 *
 * <p>Why: libtorch's bundled MKL does not recognise AMD Zen 4/5 CPUs and runs its GEMMs on the AVX2
 * path (about 100 GFLOP/s per core on the project's machines), while oneDNN, in the same {@code
 * libtorch_cpu.so}, runs the same fp32 GEMMs at AVX-512 speed, more than twice as fast with
 * pre-packed weights. DJL's NDArray API reaches neither oneDNN's packed linear nor fused attention;
 * TorchScript reaches both, with no Python involved.
 *
 * <p>Before first use each precision passes a self-check (a small packed linear against the plain
 * one). A precision that fails to compile, pack or agree is unavailable; models then fall back
 * (bf16 to fp32, fp32 to the plain path) and one WARN line says why. Numbers never change silently.
 */
final class FusedBranches {
  private static final Logger LOG = LoggerFactory.getLogger(FusedBranches.class);
  private static final String SOURCE = "TransformerBranches.torchscript";

  private static FusedBranches instance;
  private static String compileFailure;
  private static final Map<Precision, String> CHECK_FAILURES = new EnumMap<>(Precision.class);
  private static final Map<Precision, Boolean> CHECKED = new EnumMap<>(Precision.class);

  /**
   * Rows of the load-time check of each packed layer: odd, so that kernels' row tails are
   * exercised.
   */
  static final int CHECK_ROWS = 37;

  private final ScriptModule module;

  private FusedBranches(ScriptModule module) {
    this.module = module;
  }

  /**
   * What a model asking for {@code requested} will actually run: the request itself, or the
   * fallback with the reason logged once per JVM.
   */
  static synchronized ModelExecution resolve(ModelExecution requested) {
    if (requested.kernels() == Kernels.PLAIN) return requested;
    String fp32Failure = failure(Precision.FP32);
    if (fp32Failure != null) return ModelExecution.plain();
    if (requested.precision() == Precision.BF16 && failure(Precision.BF16) != null) {
      return ModelExecution.of(Kernels.ONEDNN, Precision.FP32);
    }
    return requested;
  }

  /** Why {@code precision} is unavailable on the oneDNN path, or null if it is available. */
  static synchronized String failure(Precision precision) {
    if (!CHECKED.containsKey(precision)) {
      String why = check(precision);
      CHECKED.put(precision, why == null);
      if (why != null) {
        CHECK_FAILURES.put(precision, why);
        LOG.warn(
            "l2c: the oneDNN {} kernels are unavailable, using {} instead: {}",
            precision.cliName(),
            precision == Precision.BF16 ? "onednn/fp32" : "the plain NDArray path",
            why);
      }
    }
    return CHECK_FAILURES.get(precision);
  }

  /** The module; only after {@link #resolve} said the path is available. */
  static synchronized FusedBranches get() {
    if (instance == null)
      throw new IllegalStateException("the oneDNN kernels are unavailable: " + compileFailure);
    return instance;
  }

  private static String check(Precision precision) {
    if (instance == null && compileFailure == null) {
      try {
        instance =
            new FusedBranches(
                ScriptModule.compile("l2c_branches", "TransformerBranches", source()));
      } catch (RuntimeException e) {
        compileFailure = "compiling " + SOURCE + " failed: " + e.getMessage();
      }
    }
    if (instance == null) return compileFailure;
    try {
      return instance.selfCheck(precision);
    } catch (RuntimeException e) {
      return "the " + precision.cliName() + " self-check failed: " + e.getMessage();
    }
  }

  private static String source() {
    try (InputStream in = FusedBranches.class.getResourceAsStream(SOURCE)) {
      if (in == null) throw new IllegalStateException(SOURCE + " is missing from the classpath");
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * A packed linear of a few rows against DJL's plain one: fp32 must agree to float rounding, bf16
   * to its 8-bit mantissa. Returns why it failed, or null.
   */
  private String selfCheck(Precision precision) {
    Torch.inferenceMode();
    try (NDManager m =
        Torch.newManager(Device.cpu())) { // the oneDNN kernels are CPU-only (ModelExecution.on)
      Torch.engine().setRandomSeed(1);
      NDArray w = m.randomNormal(0f, 0.2f, new Shape(192, 64), DataType.FLOAT32);
      NDArray b = m.randomNormal(0f, 0.2f, new Shape(192), DataType.FLOAT32);
      PackedLinear packed = pack(w, b, 64, precision);
      if (packed == null) {
        return "a packed "
            + precision.cliName()
            + " linear [192, 64] does not compute what the plain one does";
      }
      packed.close();
      return null;
    }
  }

  /**
   * Packs {@code weight [out, in]} (and casts {@code bias}) for {@code precision}; {@code rows} is
   * the row count the packing is tuned for (any row count works). A layer without bias gets a zero
   * bias: adding +0 changes no value.
   *
   * <p>Returns null if the packed layer does not compute what the dense one does: every packed
   * layer is checked once, on {@value #CHECK_ROWS} random rows, against DJL's plain linear. This is
   * not paranoia: libtorch 2.7.1's oneDNN packs some output widths wrongly on AVX-512 AMD Zen 5
   * (measured: widths 40, 48, 72, 80 and 112 erred by half their output; 64, 96, 192, 256, 384,
   * 1152 and 4608 were exact), and a CPU we have not seen may have its own.
   */
  PackedLinear pack(NDArray weight, NDArray bias, long rows, Precision precision) {
    PackedLinear packed = packUnchecked(weight, bias, rows, precision);
    String why = packed.differenceFrom(weight, bias);
    if (why == null) return packed;
    packed.close();
    LOG.warn(
        "l2c: a packed {} linear {} {}; this layer runs on the plain kernels",
        precision.cliName(),
        weight.getShape(),
        why);
    return null;
  }

  private PackedLinear packUnchecked(NDArray weight, NDArray bias, long rows, Precision precision) {
    boolean bf16 = precision == Precision.BF16;
    try (NDManager scratch = weight.getManager().newSubManager();
        IValue w = ScriptModule.arg(weight);
        IValue r = IValue.from(rows)) {
      NDArray fullBias = bias != null ? bias : scratch.zeros(new Shape(weight.getShape().get(0)));
      IValue packed = module.call(bf16 ? "pack_bf16" : "pack_fp32", w, r);
      IValue packedBias;
      try (IValue b = ScriptModule.arg(fullBias)) {
        // an IValue holds its own reference to the tensor, so the fp32 bias outlives the scratch
        // scope
        packedBias = bf16 ? module.call("to_bf16", b) : ScriptModule.arg(fullBias);
      }
      return new PackedLinear(this, packed, packedBias, bf16);
    }
  }

  /**
   * One method call with tensor {@code x} first and then {@code rest}; the result is owned by
   * {@code x}'s manager.
   */
  NDArray call(String method, NDArray x, IValue... rest) {
    IValue[] args = new IValue[rest.length + 1];
    System.arraycopy(rest, 0, args, 1, rest.length);
    try (IValue in = ScriptModule.arg(x)) {
      args[0] = in;
      return module.callForTensor(x.getManager(), method, args);
    }
  }

  /**
   * A linear layer's weight as oneDNN packed it (and its bias as the branch methods take it).
   * Opaque: it is not an NDArray and lives outside every NDManager, so {@link #close} frees it.
   */
  static final class PackedLinear implements AutoCloseable {
    private final FusedBranches kernels;
    private final IValue weight;
    private final IValue bias;
    private final boolean bf16;

    private PackedLinear(FusedBranches kernels, IValue weight, IValue bias, boolean bf16) {
      this.kernels = kernels;
      this.weight = weight;
      this.bias = bias;
      this.bf16 = bf16;
    }

    IValue weight() {
      return weight;
    }

    /** The bias as the branch methods take it. */
    IValue bias() {
      return bias;
    }

    boolean bf16() {
      return bf16;
    }

    /**
     * Null if this packed weight computes what {@code weight} and {@code bias} do on random rows
     * (to float32 rounding, or to bfloat16's 8-bit mantissa), else what differs.
     */
    String differenceFrom(NDArray weight, NDArray bias) {
      try (NDManager m = weight.getManager().newSubManager()) {
        NDArray x = m.randomNormal(new Shape(CHECK_ROWS, weight.getShape().get(1)));
        NDArray reference =
            bias == null
                ? Linear.linear(x, weight).singletonOrThrow()
                : Linear.linear(x, weight, bias).singletonOrThrow();
        float[] expected = reference.toFloatArray();
        float[] actual = apply(x).toFloatArray();
        double scale = 0;
        double worst = 0;
        for (int i = 0; i < expected.length; i++) {
          if (!Float.isFinite(expected[i])) {
            return "cannot be checked: the layer's weights give non-finite outputs";
          }
          scale = Math.max(scale, Math.abs(expected[i]));
          worst = Math.max(worst, Math.abs(expected[i] - actual[i]));
        }
        double tolerance = bf16 ? 3e-2 : 1e-5;
        if (worst <= tolerance * scale) return null; // false for NaN
        return String.format(
            "differs from the dense one by %.3g of its largest output (allowed %.0e)",
            worst / scale, tolerance);
      }
    }

    NDArray apply(NDArray x) {
      try (IValue precision = IValue.from(bf16)) {
        return kernels.call("linear", x, weight, bias, precision);
      }
    }

    @Override
    public void close() {
      weight.close();
      bias.close();
    }
  }
}
