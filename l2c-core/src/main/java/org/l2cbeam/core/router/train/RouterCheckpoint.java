package org.l2cbeam.core.router.train;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.l2cbeam.core.io.CheckpointFormatException;
import org.l2cbeam.core.io.SafetensorsFile;
import org.l2cbeam.core.io.SafetensorsWriter;
import org.l2cbeam.core.io.TensorData;

/**
 * The resumable training checkpoint: one safetensors file holding the {@link RouterTrainingState} plus, in its
 * metadata, the run's {@link TrainingSettings} and the fingerprints of the model and the data it was trained on.
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
 * Written atomically (temporary file, then rename), so a run killed mid-write keeps the previous checkpoint.
 */
public final class RouterCheckpoint {
  public static final String FORMAT = "l2c-router-training/1";

  private final TrainingSettings settings;
  private final String modelFingerprint;
  private final String dataFingerprint;
  private final RouterTrainingState state;

  public RouterCheckpoint(
      TrainingSettings settings, String modelFingerprint, String dataFingerprint, RouterTrainingState state) {
    this.settings = settings;
    this.modelFingerprint = modelFingerprint;
    this.dataFingerprint = dataFingerprint;
    this.state = state;
  }

  /** Where the checkpoint of a run writing {@code out} lives: beside it, {@code ROUTER.json -> ROUTER.train.safetensors}. */
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
      throw new UncheckedIOException("cannot write training checkpoint " + file + ": " + e.getMessage(), e);
    }
  }

  public static RouterCheckpoint read(Path file) {
    if (!Files.isRegularFile(file)) {
      throw new IllegalArgumentException("no training checkpoint to resume at " + file);
    }
    SafetensorsFile.Contents c = SafetensorsFile.read(file);
    String format = c.metadata.get("format");
    if (!FORMAT.equals(format)) {
      throw new CheckpointFormatException(
          file, "not a router training checkpoint (format " + format + ", expected " + FORMAT + ")");
    }
    TrainingSettings settings;
    try {
      JsonObject json = JsonParser.parseString(meta(file, c, "settings")).getAsJsonObject();
      settings = TrainingSettings.fromJson(json);
    } catch (RuntimeException e) {
      throw new CheckpointFormatException(file, "unreadable settings metadata: " + e.getMessage(), e);
    }
    long iteration = Long.parseLong(meta(file, c, "iteration"));
    long[] shape = tensor(file, c, "logits").shape();
    if (shape.length != 2) {
      throw new CheckpointFormatException(file, "tensor logits must be 2-D, got " + shape.length + "-D");
    }
    int n = Math.toIntExact(shape[0]);
    int units = Math.toIntExact(shape[1]);
    float[][] logits = rows(tensor(file, c, "logits").toFloatArray(), n, units);
    float[][] m = rows(tensor(file, c, "adam.exp_avg").toFloatArray(), n, units);
    float[][] v = rows(tensor(file, c, "adam.exp_avg_sq").toFloatArray(), n, units);
    long[] steps = tensor(file, c, "adam.step").toLongArray();
    long[] hasGradL = tensor(file, c, "adam.has_grad").toLongArray();
    boolean[] hasGrad = new boolean[n];
    for (int k = 0; k < n; k++) hasGrad[k] = hasGradL[k] != 0;
    TrainingHistory history = new TrainingHistory();
    if (iteration > 0) {
      long[] ks = tensor(file, c, "history.cache_step").toLongArray();
      int[] ki = new int[ks.length];
      for (int i = 0; i < ks.length; i++) ki[i] = (int) ks[i];
      history =
          new TrainingHistory(
              tensor(file, c, "history.loss").toFloatArray(),
              tensor(file, c, "history.data_loss").toFloatArray(),
              tensor(file, c, "history.l1").toFloatArray(),
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
        settings, meta(file, c, "model_fingerprint"), meta(file, c, "data_fingerprint"), state);
  }

  /**
   * Refuses to resume under a different model, data or settings: the result would not be the run the checkpoint
   * belongs to. The message names the checkpoint and what differs.
   */
  public void checkResumable(Path file, TrainingSettings wanted, String modelFingerprint, String dataFingerprint) {
    if (!this.modelFingerprint.equals(modelFingerprint)) {
      throw new IllegalArgumentException(
          "cannot resume from " + file + ": it was trained on model " + shortFp(this.modelFingerprint)
              + " but --model has fingerprint " + shortFp(modelFingerprint));
    }
    if (!this.dataFingerprint.equals(dataFingerprint)) {
      throw new IllegalArgumentException(
          "cannot resume from " + file + ": it was trained on data " + shortFp(this.dataFingerprint)
              + " but --data has fingerprint " + shortFp(dataFingerprint));
    }
    if (!settings.equals(wanted)) {
      throw new IllegalArgumentException(
          "cannot resume from " + file + ": its settings " + settings + " differ from this run's " + wanted);
    }
  }

  private static String shortFp(String fp) {
    return fp.length() > 16 ? fp.substring(0, 16) : fp;
  }

  private static float[][] rows(float[] flat, int n, int units) {
    float[][] r = new float[n][units];
    for (int k = 0; k < n; k++) System.arraycopy(flat, k * units, r[k], 0, units);
    return r;
  }

  private static String meta(Path file, SafetensorsFile.Contents c, String key) {
    String v = c.metadata.get(key);
    if (v == null) throw new CheckpointFormatException(file, "missing metadata key " + key);
    return v;
  }

  private static TensorData tensor(Path file, SafetensorsFile.Contents c, String key) {
    TensorData t = c.tensors.get(key);
    if (t == null) throw new CheckpointFormatException(file, "missing tensor " + key);
    return t;
  }
}
