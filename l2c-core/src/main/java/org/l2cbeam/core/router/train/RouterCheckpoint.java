package org.l2cbeam.core.router.train;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.l2cbeam.core.io.CheckpointFormatException;
import org.l2cbeam.core.io.DType;
import org.l2cbeam.core.io.JsonText;
import org.l2cbeam.core.io.SafetensorsWriter;
import org.l2cbeam.core.io.TensorData;
import org.l2cbeam.core.io.WeightMap;
import org.l2cbeam.core.router.RouterScores;

/**
 * The resumable training checkpoint: one safetensors file holding the {@link RouterTrainingState}
 * plus, in its metadata, the run's {@link TrainingSettings} and the fingerprints of the model and
 * the data it was trained on.
 *
 * <pre>
 *   logits            F32 [steps, units]   router logits p (all N routers, as the original's ModuleList)
 *   adam.exp_avg      F32 [steps, units]   AdamW first moment
 *   adam.exp_avg_sq   F32 [steps, units]   AdamW second moment
 *   adam.step         I64 [steps]          per-router optimiser step count (torch keeps one per parameter)
 *   adam.has_grad     I64 [steps]          1 once the router has had a gradient (matters for ZERO_FILL only)
 *   history.loss, history.data_loss, history.l1   F32 [iterations];  history.cache_step  I64 [iterations]
 *   __metadata__: format, iteration, rng.seed, rng.position (= iteration), settings (JSON),
 *                 model_fingerprint, data_fingerprint
 * </pre>
 *
 * Written atomically (temporary file, then rename), so a run killed mid-write keeps the previous
 * checkpoint.
 */
public final class RouterCheckpoint {
  public static final String FORMAT = "l2c-router-training/1";

  private final TrainingSettings settings;
  private final String modelFingerprint;
  private final String dataFingerprint;
  private final RouterTrainingState state;

  public RouterCheckpoint(
      TrainingSettings settings,
      String modelFingerprint,
      String dataFingerprint,
      RouterTrainingState state) {
    this.settings = settings;
    this.modelFingerprint = modelFingerprint;
    this.dataFingerprint = dataFingerprint;
    this.state = state;
  }

  /**
   * Where the checkpoint of a run writing {@code out} lives: beside it, {@code ROUTER.json ->
   * ROUTER.train.safetensors}.
   */
  public static Path besideOutput(Path out) {
    String name = out.getFileName().toString();
    int dot = name.lastIndexOf('.');
    String stem = dot > 0 ? name.substring(0, dot) : name;
    return out.resolveSibling(stem + ".train.safetensors");
  }

  public TrainingSettings settings() {
    return settings;
  }

  public String modelFingerprint() {
    return modelFingerprint;
  }

  public String dataFingerprint() {
    return dataFingerprint;
  }

  public RouterTrainingState state() {
    return state;
  }

  public void write(Path file) {
    int n = state.routers();
    int units = state.units();
    AdamW opt = state.optimizer();
    float[] logits = new float[n * units];
    float[] m = new float[n * units];
    float[] v = new float[n * units];
    long[] steps = new long[n];
    long[] hasGrad = new long[n];
    float[][] p = state.mutableLogits();
    for (int k = 0; k < n; k++) {
      System.arraycopy(p[k], 0, logits, k * units, units);
      System.arraycopy(opt.expAvg(k), 0, m, k * units, units);
      System.arraycopy(opt.expAvgSq(k), 0, v, k * units, units);
      steps[k] = opt.steps(k);
      hasGrad[k] = opt.hasGradient(k) ? 1 : 0;
    }
    long[] shape = {n, units};
    Map<String, TensorData> tensors = new LinkedHashMap<>();
    tensors.put("logits", TensorData.ofFloats(shape, logits));
    tensors.put("adam.exp_avg", TensorData.ofFloats(shape, m));
    tensors.put("adam.exp_avg_sq", TensorData.ofFloats(shape, v));
    tensors.put("adam.step", TensorData.ofLongs(new long[] {n}, steps));
    tensors.put("adam.has_grad", TensorData.ofLongs(new long[] {n}, hasGrad));
    TrainingHistory h = state.history();
    if (h.size() > 0) {
      long[] hs = {h.size()};
      tensors.put("history.loss", TensorData.ofFloats(hs, h.loss()));
      tensors.put("history.data_loss", TensorData.ofFloats(hs, h.dataLoss()));
      tensors.put("history.l1", TensorData.ofFloats(hs, h.l1()));
      int[] ks = h.cacheStep();
      long[] kl = new long[ks.length];
      for (int i = 0; i < ks.length; i++) kl[i] = ks[i];
      tensors.put("history.cache_step", TensorData.ofLongs(hs, kl));
    }
    Map<String, String> meta = new LinkedHashMap<>();
    meta.put("format", FORMAT);
    meta.put("iteration", Long.toString(state.iteration()));
    meta.put("rng.seed", Long.toString(settings.seed()));
    meta.put("rng.position", Long.toString(state.iteration()));
    meta.put("settings", settings.toJson().toString());
    meta.put("model_fingerprint", modelFingerprint);
    meta.put("data_fingerprint", dataFingerprint);
    try {
      SafetensorsWriter.write(file, tensors, meta);
    } catch (IOException e) {
      throw new UncheckedIOException(
          "cannot write training checkpoint " + file + ": " + e.getMessage(), e);
    }
  }

  /**
   * Reads and validates a training checkpoint: every value must be one a run can have written
   * (finite logits and moments, non-negative second moments and step counts, a history as long as
   * the iteration count), so a corrupt or hand-edited file is refused naming the tensor, row and
   * unit instead of being resumed.
   */
  public static RouterCheckpoint read(Path file) {
    if (!Files.exists(file, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
      throw new IllegalArgumentException("no training checkpoint to resume at " + file);
    }
    WeightMap c = WeightMap.open(file);
    Map<String, Object> metadata = c.metadata();
    String format = String.valueOf(metadata.get("format"));
    if (!FORMAT.equals(format)) {
      throw new CheckpointFormatException(
          file,
          "not a router training checkpoint (format " + format + ", expected " + FORMAT + ")");
    }
    TrainingSettings settings;
    try {
      settings =
          TrainingSettings.fromJson(
              JsonText.parseObject(file, meta(c, "settings"), "settings metadata"));
    } catch (CheckpointFormatException e) {
      throw e;
    } catch (RuntimeException e) {
      throw new CheckpointFormatException(
          file, "unreadable settings metadata: " + e.getMessage(), e);
    }
    long iteration = count(c, "iteration");
    long[] shape = tensor(c, "logits", DType.F32).shape();
    if (shape.length != 2 || shape[0] != settings.samplingSteps()) {
      throw new CheckpointFormatException(
          file,
          "tensor 'logits' must be ["
              + settings.samplingSteps()
              + ", units] (one router per sampling step), got "
              + java.util.Arrays.toString(shape));
    }
    int n = Math.toIntExact(shape[0]);
    int units = Math.toIntExact(shape[1]);
    float[][] logits = rows(c, "logits", n, units, settings);
    float[][] m = rows(c, "adam.exp_avg", n, units, settings);
    float[][] v = rows(c, "adam.exp_avg_sq", n, units, settings);
    for (int k = 0; k < n; k++) {
      for (int u = 0; u < units; u++) {
        if (v[k][u] < 0) {
          throw new CheckpointFormatException(
              file,
              "tensor 'adam.exp_avg_sq' row "
                  + k
                  + ", unit "
                  + u
                  + ": "
                  + v[k][u]
                  + " is negative (a second"
                  + " moment never is)");
        }
      }
    }
    long[] steps = counts(c, "adam.step", n);
    long[] hasGradL = counts(c, "adam.has_grad", n);
    boolean[] hasGrad = new boolean[n];
    for (int k = 0; k < n; k++) hasGrad[k] = hasGradL[k] != 0;
    TrainingHistory history = new TrainingHistory();
    if (iteration > 0) {
      long[] ks = counts(c, "history.cache_step", iteration);
      int[] ki = new int[ks.length];
      for (int i = 0; i < ks.length; i++) {
        if (ks[i] >= n) {
          throw new CheckpointFormatException(
              file,
              "tensor 'history.cache_step' entry "
                  + i
                  + " is "
                  + ks[i]
                  + ", not a router of 0.."
                  + (n - 1));
        }
        ki[i] = (int) ks[i];
      }
      history =
          new TrainingHistory(
              finite(c, "history.loss", iteration),
              finite(c, "history.data_loss", iteration),
              finite(c, "history.l1", iteration),
              ki);
    }
    AdamW opt = new AdamW(settings.optimizer(), settings.zeroGrad(), m, v, steps, hasGrad);
    RouterTrainingState state;
    try {
      state = new RouterTrainingState(logits, opt, iteration, history);
    } catch (IllegalArgumentException e) {
      throw new CheckpointFormatException(file, e.getMessage(), e);
    }
    return new RouterCheckpoint(
        settings, meta(c, "model_fingerprint"), meta(c, "data_fingerprint"), state);
  }

  /**
   * Refuses to resume under a different model, data or settings: the result would not be the run
   * the checkpoint belongs to. The message names the checkpoint and what differs.
   */
  public void checkResumable(
      Path file, TrainingSettings wanted, String modelFingerprint, String dataFingerprint) {
    if (!this.modelFingerprint.equals(modelFingerprint)) {
      throw new IllegalArgumentException(
          "cannot resume from "
              + file
              + ": it was trained on model "
              + shortFp(this.modelFingerprint)
              + " but --model has fingerprint "
              + shortFp(modelFingerprint));
    }
    if (!this.dataFingerprint.equals(dataFingerprint)) {
      throw new IllegalArgumentException(
          "cannot resume from "
              + file
              + ": it was trained on data "
              + shortFp(this.dataFingerprint)
              + " but --data has fingerprint "
              + shortFp(dataFingerprint));
    }
    if (!settings.equals(wanted)) {
      throw new IllegalArgumentException(
          "cannot resume from "
              + file
              + ": its settings "
              + settings
              + " differ from this run's "
              + wanted);
    }
  }

  private static String shortFp(String fp) {
    return fp.length() > 16 ? fp.substring(0, 16) : fp;
  }

  /**
   * The F32 tensor {@code name} as {@code [n][units]} rows, every value finite (see {@link
   * RouterScores}).
   */
  private static float[][] rows(
      WeightMap c, String name, int n, int units, TrainingSettings settings) {
    TensorData t = tensor(c, name, DType.F32);
    if (!java.util.Arrays.equals(t.shape(), new long[] {n, units})) {
      throw new CheckpointFormatException(
          c.source(),
          "tensor '"
              + name
              + "' has shape "
              + java.util.Arrays.toString(t.shape())
              + ", expected ["
              + n
              + ", "
              + units
              + "] like 'logits'");
    }
    float[] flat = t.toFloatArray();
    float[][] r = new float[n][units];
    for (int k = 0; k < n; k++) System.arraycopy(flat, k * units, r[k], 0, units);
    String nonFinite = RouterScores.firstNonFinite(settings.family(), r);
    if (nonFinite != null) {
      throw new CheckpointFormatException(
          c.source(),
          "tensor '"
              + name
              + "' "
              + nonFinite.replace("logit ", "")
              + " (a corrupt checkpoint: training"
              + " never writes non-finite values)");
    }
    return r;
  }

  private static float[] finite(WeightMap c, String name, long length) {
    float[] values = vector(c, name, DType.F32, length).toFloatArray();
    for (int i = 0; i < values.length; i++) {
      if (!Float.isFinite(values[i])) {
        throw new CheckpointFormatException(
            c.source(), "tensor '" + name + "' entry " + i + ": " + values[i] + " is not finite");
      }
    }
    return values;
  }

  private static long[] counts(WeightMap c, String name, long length) {
    long[] values = vector(c, name, DType.I64, length).toLongArray();
    for (int i = 0; i < values.length; i++) {
      if (values[i] < 0) {
        throw new CheckpointFormatException(
            c.source(), "tensor '" + name + "' entry " + i + " is negative: " + values[i]);
      }
    }
    return values;
  }

  private static TensorData vector(WeightMap c, String name, DType dtype, long length) {
    TensorData t = tensor(c, name, dtype);
    if (t.shape().length != 1 || t.shape()[0] != length) {
      throw new CheckpointFormatException(
          c.source(),
          "tensor '"
              + name
              + "' has shape "
              + java.util.Arrays.toString(t.shape())
              + ", expected ["
              + length
              + "]");
    }
    return t;
  }

  private static long count(WeightMap c, String key) {
    String v = meta(c, key);
    try {
      long n = Long.parseLong(v.trim());
      if (n >= 0) return n;
    } catch (NumberFormatException e) {
      // reported below
    }
    throw new CheckpointFormatException(
        c.source(), "metadata '" + key + "' is '" + v + "', not a count");
  }

  private static String meta(WeightMap c, String key) {
    Object v = c.metadata().get(key);
    if (v == null) throw new CheckpointFormatException(c.source(), "missing metadata key " + key);
    return String.valueOf(v);
  }

  private static TensorData tensor(WeightMap c, String key, DType dtype) {
    if (!c.contains(key)) throw new CheckpointFormatException(c.source(), "missing tensor " + key);
    TensorData t = c.get(key);
    if (t.dtype() != dtype) {
      throw new CheckpointFormatException(
          c.source(), "tensor '" + key + "' is " + t.dtype() + ", expected " + dtype);
    }
    return t;
  }
}
