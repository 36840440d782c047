package org.l2cbeam.core.router;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import com.google.gson.GsonBuilder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.l2cbeam.core.diffusion.DdimSampler;
import org.l2cbeam.core.diffusion.DiscreteVpSchedule;
import org.l2cbeam.core.diffusion.DpmSolver2S;
import org.l2cbeam.core.diffusion.Guidance;
import org.l2cbeam.core.diffusion.NoiseSchedule;
import org.l2cbeam.core.diffusion.NonFiniteOutputException;
import org.l2cbeam.core.diffusion.SamplingRun;
import org.l2cbeam.core.diffusion.SeededNoise;
import org.l2cbeam.core.diffusion.StepListener;
import org.l2cbeam.core.model.DiffusionTransformer;
import org.l2cbeam.core.model.LayerCache;
import org.l2cbeam.core.model.UnitPlan;
import org.l2cbeam.core.runtime.Torch;

/**
 * How much each cache unit's output changes between the two steps L2C pairs: the redundancy a cache
 * schedule can exploit. For every cache step of the family's {@link StepPairing} and every cache
 * unit u it measures
 *
 * <pre>
 *   change_u = ‖o_u(cache step) − o_u(its full step)‖ / ‖o_u(cache step)‖
 * </pre>
 *
 * per model row (each request, and its unconditional twin under classifier-free guidance), averaged
 * over the rows; {@code o_u} is what the {@link LayerCache} records for the unit (DiT: the branch
 * output before the adaLN gate; U-ViT: the residual increment), so a change of 0 means reusing the
 * unit loses nothing. The same statistic is given for the guided noise prediction ε, the whole
 * model's output.
 *
 * <pre>{@code
 * try (DiffusionTransformer model = ModelCheckpoint.open("builtin:fmnist-dit").load()) {
 *   SamplingRun ddim20 = SamplingRun.of(model).steps(20).cfgScale(1.5).build();
 *   UnitRedundancy.Result r = UnitRedundancy.of(ddim20).measure(0, labels);
 *   System.out.println(r.attentionMean() + " " + r.mlpMean() + "\n" + r.toJson());
 * }
 * }</pre>
 *
 * <p>It samples the ordinary trajectory of the plain sampler (the one {@link SamplingRun} runs,
 * same initial noise, same guidance), but both steps of a pair compute every unit and record it,
 * each into its own cache: nothing is reused, so what is compared are two fresh outputs. Why not a
 * new hook in the models: the cache already holds exactly the unit outputs L2C would reuse, so
 * recording the cache step too gives the other side of the comparison.
 */
public final class UnitRedundancy {
  /**
   * Requests per model call by default: bounds the memory of the two recorded caches; the result
   * hardly moves.
   */
  public static final int DEFAULT_BATCH = 16;

  private final DiffusionTransformer model;
  private final SamplingRun run;
  private final int steps;
  private final int batch;
  private final StepPairing pairing;
  private final CacheSchedule reuseAll;

  private UnitRedundancy(DiffusionTransformer model, SamplingRun run, int batch) {
    this.model = model;
    this.run = run;
    this.steps = run.steps();
    this.batch = batch;
    this.pairing = model.family().pairing();
    int rows = pairing.scheduleRows(steps);
    // A schedule that reuses every unit on every cache row: asking the pairing what it would do
    // under it tells apart
    // the full steps that record (for the next step) and the cache evaluations that would read,
    // with no rule here.
    this.reuseAll = new CacheSchedule(new boolean[rows][model.units()]);
  }

  /**
   * A measurement on the trajectory of {@code run}, which must be a plain run of the sampler L2C
   * pairs steps for (DDIM for a DiT, DPM-Solver++(2S) for a U-ViT) with at least one cache step;
   * its steps and guidance are used.
   */
  public static UnitRedundancy of(SamplingRun run) {
    DiffusionTransformer model = run.model();
    ModelFamily family = model.family();
    if (run.sampler() != SamplingRun.defaultSampler(family)) {
      throw new IllegalArgumentException(
          "--sampler "
              + run.sampler().cliName()
              + ": L2C pairs the steps of "
              + family.id()
              + "'s "
              + SamplingRun.defaultSampler(family).cliName()
              + " sampler only");
    }
    if (run.schedule() != null) {
      throw new IllegalArgumentException(
          "--router: the redundancy is measured on the plain sampler, which computes every unit at every step");
    }
    StepPairing pairing = family.pairing();
    int rows = pairing.scheduleRows(run.steps());
    boolean anyCacheRow = false;
    for (int r = 0; r < rows; r++) anyCacheRow |= pairing.isCacheRow(r, rows);
    if (!anyCacheRow) {
      throw new IllegalArgumentException(
          "--steps " + run.steps() + " has no cache step to measure (" + pairing.describe() + ")");
    }
    return new UnitRedundancy(model, run, DEFAULT_BATCH);
  }

  /**
   * This measurement with {@code batch} requests per model call; the result does not depend on it
   * beyond rounding.
   */
  public UnitRedundancy withBatch(int batch) {
    if (batch < 1) throw new IllegalArgumentException("--batch must be positive, got " + batch);
    return new UnitRedundancy(model, run, batch);
  }

  /**
   * Measures requests {@code labels}, request i from the seeded noise stream {@code seed + i} (the
   * requests of {@code l2c sample --seed}), {@link #withBatch} requests per model call.
   */
  public Result measure(long seed, long[] labels) {
    if (labels.length == 0)
      throw new IllegalArgumentException("--samples must be positive: no requests to measure");
    SeededNoise.checkConsecutive(seed, labels.length);
    model.checkLabels(labels);
    Sums sums = new Sums();
    for (int from = 0; from < labels.length; from += batch) {
      int to = Math.min(labels.length, from + batch);
      try (NDManager m = Torch.newManager(model.device())) {
        NDArray z =
            SeededNoise.consecutive(seed + from, to - from)
                .initial(m, model.inChannels(), model.inputSize(), model.inputSize());
        measureBatch(z, Arrays.copyOfRange(labels, from, to), sums);
      }
    }
    return sums.result();
  }

  /**
   * Measures one batch from the initial latents {@code z [n, C, H, W]} (kept by the caller), in one
   * model call.
   */
  public Result measure(NDArray z, long[] labels) {
    Shape expected =
        new Shape(labels.length, model.inChannels(), model.inputSize(), model.inputSize());
    if (!z.getShape().equals(expected)) {
      throw new IllegalArgumentException(
          "initial noise z has shape "
              + z.getShape()
              + " but "
              + labels.length
              + " labels and the model need "
              + expected);
    }
    model.checkLabels(labels);
    Sums sums = new Sums();
    measureBatch(z, labels, sums);
    return sums.result();
  }

  private void measureBatch(NDArray z, long[] labels, Sums sums) {
    try (NDManager scope = z.getManager().newSubManager();
        Pair pair = new Pair(scope, labels.length, sums)) {
      if (model.family() == ModelFamily.DIT) {
        Guidance g = run.guidance();
        NDArray x = z.duplicate();
        x.attach(scope);
        if (g != null) x = x.concat(x, 0); // the DiT sampler's doubled batch [z; z]
        new DdimSampler(NoiseSchedule.dit(steps))
            .sample(
                x,
                (xk, k, timestep) -> pair.evaluate(k, 0, xk, timestep, labels),
                StepListener.NONE)
            .close();
      } else {
        new DpmSolver2S(DiscreteVpSchedule.stableDiffusion(), steps)
            .sample(
                z,
                (x, time, ev) ->
                    pair.evaluate(ev.outerStep(), ev.midpoint() ? 1 : 0, x, time, labels),
                null)
            .close();
      }
    }
  }

  /**
   * The state of one batch between a full step and its cache step: the unit outputs and the guided
   * ε of the full step, each model call's (DiT: one call on the doubled batch; U-ViT: conditional,
   * then unconditional) in its own cache.
   */
  private final class Pair implements AutoCloseable {
    private final NDManager manager;
    private final int requests;
    private final Sums sums;
    private final LayerCache[] fullStep;
    private final LayerCache[] cacheStep;
    private NDArray fullEps;
    private float fullTime;
    private int pairIndex;

    Pair(NDManager parent, int requests, Sums sums) {
      this.manager = parent.newSubManager();
      this.requests = requests;
      this.sums = sums;
      int calls =
          model.family().guidanceLayout() == ModelFamily.GuidanceLayout.SEPARATE_CALLS
                  && run.guidance() != null
              ? 2
              : 1;
      fullStep = new LayerCache[calls];
      cacheStep = new LayerCache[calls];
      for (int c = 0; c < calls; c++) {
        fullStep[c] = new LayerCache(manager, model.units());
        cacheStep[c] = new LayerCache(manager, model.units());
      }
    }

    /**
     * One network evaluation of the sampler: the guided output it steps with, lands in {@code x}'s
     * manager.
     */
    NDArray evaluate(int row, int evaluation, NDArray x, float time, long[] labels) {
      UnitPlan wouldDo = pairing.plan(row, evaluation, reuseAll, model.units());
      boolean records = wouldDo.records();
      boolean reads = wouldDo.readsCache();
      LayerCache[] caches = records ? fullStep : reads ? cacheStep : null;
      UnitPlan plan =
          caches == null ? UnitPlan.computeAll(model.units()) : UnitPlan.recordAll(model.units());
      NDArray eps = guidedOutput(x, time, labels, plan, caches);
      String where =
          "schedule row "
              + row
              + (pairing.evaluationsPerRow() > 1 ? ", evaluation " + evaluation : "")
              + " (network time "
              + time
              + ")";
      if (!NonFiniteOutputException.allFinite(eps)) {
        throw new NonFiniteOutputException("NaN/Inf in the model output at " + where, row, -1);
      }
      if (records) {
        if (fullEps != null) fullEps.close();
        fullEps = noisePrediction(eps);
        fullEps.attach(manager);
        fullTime = time;
      } else if (reads) {
        if (fullEps == null) {
          throw new IllegalStateException(
              "cache evaluation at " + where + " without a full step before it");
        }
        compare(row, time, eps, where);
      }
      return eps;
    }

    private void compare(int row, float time, NDArray eps, String where) {
      double[] units = new double[model.units()];
      List<String> names = model.unitNames();
      for (int u = 0; u < units.length; u++) {
        for (int c = 0; c < fullStep.length; c++) {
          units[u] +=
              sumOverRows(
                  relativeChangePerRow(fullStep[c].get(u), cacheStep[c].get(u)),
                  row,
                  where,
                  names.get(u));
        }
      }
      NDArray now = noisePrediction(eps);
      double output =
          sumOverRows(
              relativeChangePerRow(fullEps, now), row, where, "the guided noise prediction");
      now.close();
      long modelRows = fullStep[0].get(0).getShape().get(0) * fullStep.length;
      sums.add(pairIndex++, row, fullTime, time, units, modelRows, output, requests);
      for (int c = 0; c < fullStep.length; c++) {
        fullStep[c].clear();
        cacheStep[c].clear();
      }
      fullEps.close();
      fullEps = null;
    }

    /** The model output under guidance, as the plain sampler of the family computes it. */
    private NDArray guidedOutput(
        NDArray x, float time, long[] labels, UnitPlan plan, LayerCache[] caches) {
      Guidance g = run.guidance();
      int channels = model.inChannels();
      if (model.family().guidanceLayout() == ModelFamily.GuidanceLayout.DOUBLED_BATCH) {
        long[] y = labels;
        NDArray in = x;
        if (g != null) {
          // As DiT's forward_with_cfg: the first half, twice, with labels [y; null].
          y = Arrays.copyOf(labels, 2 * labels.length);
          Arrays.fill(y, labels.length, y.length, model.nullLabel());
          NDArray half = x.get("0:" + labels.length);
          in = half.concat(half, 0);
        }
        NDArray out =
            model.forward(in, filled(y.length, time), y, plan, caches == null ? null : caches[0]);
        return g == null ? out : g.combine(out, channels);
      }
      NDArray cond =
          model.forward(
              x, filled(labels.length, time), labels, plan, caches == null ? null : caches[0]);
      if (g == null) return cond;
      long[] nulls = new long[labels.length];
      Arrays.fill(nulls, model.nullLabel());
      NDArray uncond =
          model.forward(
              x, filled(labels.length, time), nulls, plan, caches == null ? null : caches[1]);
      return g.combine(cond, uncond, channels);
    }

    /**
     * The guided ε of the requests: their rows (not the unconditional twins), the noise channels
     * only.
     */
    private NDArray noisePrediction(NDArray out) {
      return out.get("0:" + requests + ", 0:" + model.inChannels());
    }

    /**
     * Per row of {@code now}, {@code ‖now − before‖ / ‖now‖} over all of the row's values, in
     * float64. Both arrays stay where they are; everything computed here is freed before returning.
     */
    private double[] relativeChangePerRow(NDArray before, NDArray now) {
      try (NDManager scope = manager.newSubManager()) {
        before.tempAttach(scope);
        now.tempAttach(scope);
        long rows = now.getShape().get(0);
        NDArray b = before.toType(DataType.FLOAT64, true).reshape(rows, -1);
        NDArray n = now.toType(DataType.FLOAT64, true).reshape(rows, -1);
        double[] changed = n.sub(b).square().sum(new int[] {1}).toDoubleArray();
        double[] size = n.square().sum(new int[] {1}).toDoubleArray();
        double[] relative = new double[changed.length];
        for (int r = 0; r < relative.length; r++) {
          // Two all-zero outputs have not changed; a zero output after a non-zero one changed
          // without bound.
          relative[r] = changed[r] == 0 ? 0 : Math.sqrt(changed[r]) / Math.sqrt(size[r]);
        }
        return relative;
      }
    }

    private double sumOverRows(double[] perRow, int row, String where, String what) {
      double sum = 0;
      for (int r = 0; r < perRow.length; r++) {
        if (!Double.isFinite(perRow[r])) {
          throw new NonFiniteOutputException(
              "the relative change of "
                  + what
                  + " between the paired steps at "
                  + where
                  + " is "
                  + perRow[r]
                  + " for model row "
                  + r
                  + " (NaN/Inf values, or an all-zero output at the cache step)",
              row,
              -1);
        }
        sum += perRow[r];
      }
      return sum;
    }

    @Override
    public void close() {
      for (int c = 0; c < fullStep.length; c++) {
        fullStep[c].close();
        cacheStep[c].close();
      }
      manager.close();
    }
  }

  private static float[] filled(int n, float value) {
    float[] a = new float[n];
    Arrays.fill(a, value);
    return a;
  }

  /**
   * Per-row sums over the batches of a measurement, in pair order; the means come out in {@link
   * #result()}.
   */
  private final class Sums {
    private final List<Integer> rows = new ArrayList<>();
    private final List<float[]> times = new ArrayList<>();
    private final List<double[]> units = new ArrayList<>();
    private final List<Double> output = new ArrayList<>();
    private long modelRows;
    private long requests;

    void add(
        int pair,
        int row,
        float fullTime,
        float cacheTime,
        double[] unitSums,
        long batchRows,
        double outputSum,
        int batchRequests) {
      if (pair == rows.size()) {
        rows.add(row);
        times.add(new float[] {fullTime, cacheTime});
        units.add(new double[unitSums.length]);
        output.add(0.0);
      } else if (rows.get(pair) != row) {
        throw new IllegalStateException(
            "pair "
                + pair
                + " is schedule row "
                + row
                + " in one batch, "
                + rows.get(pair)
                + " in another");
      }
      double[] u = units.get(pair);
      for (int i = 0; i < u.length; i++) u[i] += unitSums[i];
      output.set(pair, output.get(pair) + outputSum);
      if (pair == 0) {
        modelRows += batchRows;
        requests += batchRequests;
      }
    }

    Result result() {
      int pairs = rows.size();
      double[][] unitMeans = new double[pairs][];
      double[] outputMeans = new double[pairs];
      double[][] pairTimes = new double[pairs][];
      int[] pairRows = new int[pairs];
      for (int p = 0; p < pairs; p++) {
        unitMeans[p] = units.get(p).clone();
        for (int u = 0; u < unitMeans[p].length; u++) unitMeans[p][u] /= modelRows;
        outputMeans[p] = output.get(p) / requests;
        pairTimes[p] = new double[] {times.get(p)[0], times.get(p)[1]};
        pairRows[p] = rows.get(p);
      }
      UnitMacs macs = model.macs();
      double[] unitMacs = new double[model.units()];
      for (int u = 0; u < unitMacs.length; u++) unitMacs[u] = macs.unit(u);
      Guidance g = run.guidance();
      return new Result(
          model.family(),
          steps,
          g == null ? 1.0 : g.scale(),
          Math.toIntExact(requests),
          Math.toIntExact(modelRows / requests),
          model.unitNames(),
          unitMacs,
          pairRows,
          pairTimes,
          unitMeans,
          outputMeans,
          null);
    }
  }

  /**
   * The measured redundancy: per cache step (in sampling order) and cache unit, the mean relative
   * change of the unit's output from its full step; the same for the guided ε; and, if attached
   * with {@link #withRouter}, the β = sigmoid(p) a router learned for each unit at that step.
   */
  public static final class Result {
    private final ModelFamily family;
    private final int steps;
    private final double cfgScale;
    private final int requests;
    private final int rowsPerRequest;
    private final List<String> unitNames;
    private final double[] unitMacs;
    private final int[] rows;
    private final double[][] times;
    private final double[][] unitChange;
    private final double[] outputChange;
    private final double[][] routerBeta;

    Result(
        ModelFamily family,
        int steps,
        double cfgScale,
        int requests,
        int rowsPerRequest,
        List<String> unitNames,
        double[] unitMacs,
        int[] rows,
        double[][] times,
        double[][] unitChange,
        double[] outputChange,
        double[][] routerBeta) {
      this.family = family;
      this.steps = steps;
      this.cfgScale = cfgScale;
      this.requests = requests;
      this.rowsPerRequest = rowsPerRequest;
      this.unitNames = List.copyOf(unitNames);
      this.unitMacs = unitMacs;
      this.rows = rows;
      this.times = times;
      this.unitChange = unitChange;
      this.outputChange = outputChange;
      this.routerBeta = routerBeta;
    }

    public ModelFamily family() {
      return family;
    }

    /** DDIM steps (DiT) or network evaluations (U-ViT). */
    public int steps() {
      return steps;
    }

    /** The guidance weight applied; 1 for none. */
    public double cfgScale() {
      return cfgScale;
    }

    public int requests() {
      return requests;
    }

    /**
     * Model rows per request whose unit outputs are averaged: 2 under guidance (the unconditional
     * twin), else 1.
     */
    public int rowsPerRequest() {
      return rowsPerRequest;
    }

    public List<String> unitNames() {
      return unitNames;
    }

    public int units() {
      return unitNames.size();
    }

    /** Multiply-accumulates of unit u per image and forward. */
    public double unitMacs(int unit) {
      return unitMacs[unit];
    }

    /** Cache steps measured, in sampling order. */
    public int cacheSteps() {
      return rows.length;
    }

    /**
     * The schedule row (router row) of cache step {@code i}: DiT's spaced index k, U-ViT's outer
     * step.
     */
    public int row(int i) {
      return rows[i];
    }

    /**
     * The network time of cache step {@code i}'s full step (DiT: the original timestep; U-ViT: time
     * × 1000).
     */
    public double fullStepTime(int i) {
      return times[i][0];
    }

    /** The network time of cache step {@code i}. */
    public double cacheStepTime(int i) {
      return times[i][1];
    }

    /**
     * Mean relative change of unit {@code u}'s output at cache step {@code i} from its full step.
     */
    public double unitChange(int i, int unit) {
      return unitChange[i][unit];
    }

    /**
     * Mean relative change of the guided noise prediction at cache step {@code i} from its full
     * step.
     */
    public double outputChange(int i) {
      return outputChange[i];
    }

    /** Mean over the attention units of cache step {@code i}. */
    public double attentionMean(int i) {
      return mean(i, 0);
    }

    /** Mean over the MLP units of cache step {@code i}. */
    public double mlpMean(int i) {
      return mean(i, 1);
    }

    /** Mean over every cache step and attention unit. */
    public double attentionMean() {
      double s = 0;
      for (int i = 0; i < cacheSteps(); i++) s += attentionMean(i);
      return s / cacheSteps();
    }

    /** Mean over every cache step and MLP unit. */
    public double mlpMean() {
      double s = 0;
      for (int i = 0; i < cacheSteps(); i++) s += mlpMean(i);
      return s / cacheSteps();
    }

    /** Mean over every cache step of the noise prediction's change. */
    public double outputMean() {
      return Arrays.stream(outputChange).average().orElseThrow();
    }

    private double mean(int i, int kind) {
      double s = 0;
      int n = 0;
      for (int u = kind; u < units(); u += 2) {
        s += unitChange[i][u];
        n++;
      }
      return s / n;
    }

    /** True if a router's β was attached. */
    public boolean hasRouter() {
      return routerBeta != null;
    }

    /** The β = sigmoid(p_k) the attached router gives unit u at cache step i. */
    public double routerBeta(int i, int unit) {
      if (routerBeta == null) throw new IllegalStateException("no router attached");
      return routerBeta[i][unit];
    }

    /**
     * This result with each cache step's router β from {@code router}, which must fit the measured
     * run.
     */
    public Result withRouter(RouterScores router) {
      if (router.family() != family || router.nfe() != steps || router.units() != units()) {
        throw new IllegalArgumentException(
            "--router: a "
                + router.family().id()
                + " router of "
                + router.nfe()
                + " steps x "
                + router.units()
                + " units does not fit this "
                + family.id()
                + " run of "
                + steps
                + " steps x "
                + units()
                + " units");
      }
      double[][] perRow = router.betaPerRow();
      double[][] beta = new double[rows.length][];
      for (int i = 0; i < rows.length; i++) beta[i] = perRow[rows[i]];
      return new Result(
          family,
          steps,
          cfgScale,
          requests,
          rowsPerRequest,
          unitNames,
          unitMacs,
          rows,
          times,
          unitChange,
          outputChange,
          beta);
    }

    /** The result as JSON-friendly maps and lists (for embedding in a report). */
    public Map<String, Object> toMap() {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("family", family.id());
      m.put("steps", steps);
      m.put("cfgScale", cfgScale);
      m.put("requests", requests);
      m.put("rowsPerRequest", rowsPerRequest);
      m.put(
          "statistic", "mean over model rows of |o(cache step) - o(full step)| / |o(cache step)|");
      List<Object> units = new ArrayList<>();
      for (int u = 0; u < units(); u++) {
        Map<String, Object> unit = new LinkedHashMap<>();
        unit.put("name", unitNames.get(u));
        unit.put("macs", unitMacs[u]);
        units.add(unit);
      }
      m.put("units", units);
      List<Object> pairs = new ArrayList<>();
      for (int i = 0; i < cacheSteps(); i++) {
        Map<String, Object> p = new LinkedHashMap<>();
        p.put("row", rows[i]);
        p.put("fullStepTime", times[i][0]);
        p.put("cacheStepTime", times[i][1]);
        p.put("output", outputChange[i]);
        p.put("attentionMean", attentionMean(i));
        p.put("mlpMean", mlpMean(i));
        p.put("units", unitChange[i].clone());
        if (routerBeta != null) p.put("routerBeta", routerBeta[i].clone());
        pairs.add(p);
      }
      m.put("cacheSteps", pairs);
      Map<String, Object> mean = new LinkedHashMap<>();
      mean.put("attention", attentionMean());
      mean.put("mlp", mlpMean());
      mean.put("output", outputMean());
      m.put("mean", mean);
      return m;
    }

    /** The result on one line of JSON. */
    public String toJson() {
      return new GsonBuilder().disableHtmlEscaping().create().toJson(toMap());
    }
  }
}
