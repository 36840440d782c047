package org.l2cbeam.core.router;

import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.l2cbeam.core.io.CheckpointFormatException;
import org.l2cbeam.core.io.FileFormat;
import org.l2cbeam.core.io.InputFile;
import org.l2cbeam.core.io.TensorData;
import org.l2cbeam.core.io.WeightMap;

/**
 * L2C router logits: {@code logits[k][u]} is {@code p_k[u]}, one row per model evaluation of the
 * sampler (the layout of the official checkpoints: N rows for DiT/DDIM-N, NFE rows for
 * U-ViT/DPM-Solver-2), one column per cache unit. {@link #schedule(double)} turns them into the
 * static cache schedule the paper samples with.
 */
public final class RouterScores {
  private static final Pattern DIT_KEY = Pattern.compile("routers\\.(\\d+)\\.prob");
  private static final Pattern UVIT_KEY = Pattern.compile("(\\d+)\\.prob");

  private final ModelFamily family;
  private final float[][] logits;

  public RouterScores(ModelFamily family, float[][] logits) {
    if (logits.length == 0) {
      throw new IllegalArgumentException("router scores need at least one row");
    }
    int units = logits[0].length;
    this.logits = new float[logits.length][];
    for (int k = 0; k < logits.length; k++) {
      if (logits[k].length != units) {
        throw new IllegalArgumentException(
            "router row " + k + " has " + logits[k].length + " units, row 0 has " + units);
      }
      this.logits[k] = logits[k].clone();
    }
    String problem = family.unitCountProblem(units);
    if (problem != null) {
      throw new IllegalArgumentException(
          "router does not fit a " + family.id() + " model: " + problem);
    }
    String nonFinite = firstNonFinite(family, this.logits);
    if (nonFinite != null) {
      throw new IllegalArgumentException(nonFinite);
    }
    this.family = family;
    family.pairing().scheduleRows(logits.length); // rejects, e.g., an odd U-ViT NFE
  }

  /**
   * The finite-value rule every reader of router logits applies (JSON artifacts, router
   * checkpoints, training checkpoints): a NaN or infinite logit has no sigmoid to threshold, and a
   * NaN would silently make its unit reused ({@code NaN > θ} is false). Returns null when all are
   * finite, else "row k, unit u (name): logit NaN is not finite".
   */
  public static String firstNonFinite(ModelFamily family, float[][] logits) {
    for (int k = 0; k < logits.length; k++) {
      for (int u = 0; u < logits[k].length; u++) {
        if (!Float.isFinite(logits[k][u])) {
          String name =
              family.unitCountProblem(logits[k].length) == null
                  ? " (" + family.unitNames(logits[k].length).get(u) + ")"
                  : "";
          return "row " + k + ", unit " + u + name + ": logit " + logits[k][u] + " is not finite";
        }
      }
    }
    return null;
  }

  public ModelFamily family() {
    return family;
  }

  /** Model evaluations of the sampler these routers were trained for (= rows). */
  public int nfe() {
    return logits.length;
  }

  public int units() {
    return logits[0].length;
  }

  /** A copy of the logits, {@code [nfe][units]}. */
  public float[][] logits() {
    float[][] copy = new float[logits.length][];
    for (int k = 0; k < logits.length; k++) copy[k] = logits[k].clone();
    return copy;
  }

  public float logit(int row, int unit) {
    return logits[row][unit];
  }

  /**
   * The static schedule at threshold θ: on each cache row of the family's {@link StepPairing}, unit
   * u is computed iff {@code sigmoid(p_k[u]) > θ} (strict, as the original); other rows compute
   * everything.
   */
  public CacheSchedule schedule(double theta) {
    if (!(theta >= 0 && theta <= 1)) {
      throw new IllegalArgumentException("theta must be in [0, 1], got " + theta);
    }
    StepPairing pairing = family.pairing();
    int rows = pairing.scheduleRows(nfe());
    boolean[][] compute = new boolean[rows][units()];
    for (int r = 0; r < rows; r++) {
      boolean cache = pairing.isCacheRow(r, rows);
      float[] p = logits[pairing.routerRow(r)];
      for (int u = 0; u < units(); u++) {
        compute[r][u] = !cache || sigmoid(p[u]) > theta;
      }
    }
    return new CacheSchedule(compute);
  }

  /**
   * β = sigmoid(p) per schedule row ({@code [rows][units]}; the family's pairing maps rows to
   * routers).
   */
  public double[][] betaPerRow() {
    StepPairing pairing = family.pairing();
    int rows = pairing.scheduleRows(nfe());
    double[][] beta = new double[rows][units()];
    for (int r = 0; r < rows; r++) {
      float[] p = logits[pairing.routerRow(r)];
      for (int u = 0; u < units(); u++) beta[r][u] = sigmoid(p[u]);
    }
    return beta;
  }

  /** Which schedule rows are cache rows (may reuse), by the family's pairing. */
  public boolean[] cacheRows() {
    StepPairing pairing = family.pairing();
    int rows = pairing.scheduleRows(nfe());
    boolean[] cache = new boolean[rows];
    for (int r = 0; r < rows; r++) cache[r] = pairing.isCacheRow(r, rows);
    return cache;
  }

  /**
   * The θ (and its schedule) that removes at least {@code fraction} of a run's MACs, smallest such
   * removal.
   */
  public ThetaSearch.Choice forRemovedFraction(UnitMacs macs, double fraction) {
    return ThetaSearch.forRemovedFraction(betaPerRow(), cacheRows(), macs, fraction);
  }

  /** Counts of removed (reused) units in a schedule made by {@link #schedule}. */
  public ScheduleSummary summarize(CacheSchedule schedule) {
    return ScheduleSummary.of(family.pairing(), schedule);
  }

  static double sigmoid(float x) {
    return 1.0 / (1.0 + Math.exp(-(double) x));
  }

  /**
   * Loads routers from an official checkpoint, a router tensor file or our JSON artifact; the
   * family is detected.
   */
  public static RouterScores load(Path file) {
    return load(file, null);
  }

  /**
   * As {@link #load(Path)}, but the router must fit {@code expected} (null = detect): a router
   * whose layout or unit count belongs to another family is an error naming the file.
   */
  public static RouterScores load(Path file, ModelFamily expected) {
    RouterScores scores;
    InputFile.checkReadable(file);
    FileFormat format = FileFormat.detect(file);
    if (format == FileFormat.JSON) {
      scores = RouterArtifact.read(file).scores();
    } else if (format == FileFormat.TORCH_ZIP
        || format == FileFormat.SAFETENSORS
        || format == FileFormat.TORCH_LEGACY
        || file.getFileName().toString().endsWith(".safetensors")) {
      scores = fromWeights(WeightMap.open(file), expected);
    } else {
      throw new CheckpointFormatException(
          file,
          "not a router: "
              + format.whatItIs(file)
              + "; expected a router JSON, an official L2C router"
              + " checkpoint (.pt, .pth) or a router tensor file (.safetensors)");
    }
    if (expected != null && scores.family() != expected) {
      throw new CheckpointFormatException(
          file,
          "holds a "
              + scores.family().id()
              + " router ("
              + scores.units()
              + " units), but the model is "
              + expected.id()
              + (expected.unitCountProblem(scores.units()) == null
                  ? ""
                  : ": " + expected.unitCountProblem(scores.units())));
    }
    return scores;
  }

  private static RouterScores fromWeights(WeightMap w, ModelFamily expected) {
    Path file = w.source();
    Map<Integer, TensorData> ditRows = rows(w, DIT_KEY);
    Map<Integer, TensorData> uvitRows = rows(w, UVIT_KEY);
    ModelFamily family;
    float[][] logits;
    if (!ditRows.isEmpty()) {
      family =
          ModelFamily.DIT; // the DiT training checkpoint: {"routers": {"k.prob"}, "opt", "args"}
      logits = stack(file, ditRows, "routers.%d.prob");
    } else if (!uvitRows.isEmpty()) {
      family = ModelFamily.UVIT; // U-ViT nnet.pth: {"k.prob"}
      logits = stack(file, uvitRows, "%d.prob");
    } else if (w.contains("router.prob")) {
      // Our reference vectors: one [nfe, units] tensor; the timestep key tells the sampler apart.
      TensorData t = w.get("router.prob");
      long[] shape = t.shape();
      if (shape.length != 2) {
        throw new CheckpointFormatException(
            file, "'router.prob' must be [nfe, units], got " + java.util.Arrays.toString(shape));
      }
      family =
          w.contains("router.timestep_mapping")
              ? ModelFamily.UVIT
              : w.contains("router.timestep_map") ? ModelFamily.DIT : expected;
      if (family == null) {
        throw new CheckpointFormatException(
            file,
            "cannot tell whether 'router.prob' is a DiT or U-ViT router; pass the model family");
      }
      float[] flat = t.toFloatArray();
      logits = new float[(int) shape[0]][(int) shape[1]];
      for (int k = 0; k < shape[0]; k++) {
        System.arraycopy(flat, (int) (k * shape[1]), logits[k], 0, (int) shape[1]);
      }
    } else {
      throw new CheckpointFormatException(
          file,
          "no router scores found: expected 'routers.<k>.prob' (DiT L2C checkpoint), '<k>.prob' (U-ViT L2C"
              + " nnet.pth) or 'router.prob'");
    }
    if (expected != null && expected != family) {
      String problem = expected.unitCountProblem(logits[0].length);
      throw new CheckpointFormatException(
          file,
          "holds a "
              + family.id()
              + " router ("
              + logits.length
              + " x "
              + logits[0].length
              + " units), which does not"
              + " fit a "
              + expected.id()
              + " model"
              + (problem == null ? "" : ": " + problem));
    }
    try {
      return new RouterScores(family, logits);
    } catch (IllegalArgumentException e) {
      throw new CheckpointFormatException(file, e.getMessage(), e);
    }
  }

  private static Map<Integer, TensorData> rows(WeightMap w, Pattern key) {
    Map<Integer, TensorData> rows = new TreeMap<>();
    for (String name : w.names()) {
      Matcher m = key.matcher(name);
      if (m.matches()) rows.put(Integer.parseInt(m.group(1)), w.get(name));
    }
    return rows;
  }

  private static float[][] stack(Path file, Map<Integer, TensorData> rows, String keyFormat) {
    int n = rows.size();
    float[][] logits = new float[n][];
    for (int k = 0; k < n; k++) {
      TensorData t = rows.get(k);
      if (t == null) {
        throw new CheckpointFormatException(
            file,
            "router rows are not 0.."
                + (n - 1)
                + ": '"
                + String.format(keyFormat, k)
                + "' is missing");
      }
      if (t.shape().length != 1) {
        throw new CheckpointFormatException(
            file,
            "'"
                + String.format(keyFormat, k)
                + "' must be a vector, got shape "
                + java.util.Arrays.toString(t.shape()));
      }
      logits[k] = t.toFloatArray();
      if (logits[k].length != logits[0].length) {
        throw new CheckpointFormatException(
            file,
            "'"
                + String.format(keyFormat, k)
                + "' has "
                + logits[k].length
                + " units, row 0 has "
                + logits[0].length);
      }
    }
    return logits;
  }
}
