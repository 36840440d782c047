package org.l2cbeam.core.router;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.greaterThan;
import static org.hamcrest.Matchers.lessThan;
import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertThrows;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.ClassRule;
import org.junit.Test;
import org.l2cbeam.core.diffusion.DiscreteVpSchedule;
import org.l2cbeam.core.diffusion.DpmSolver2S;
import org.l2cbeam.core.diffusion.Guidance;
import org.l2cbeam.core.diffusion.NoiseSchedule;
import org.l2cbeam.core.diffusion.NonFiniteOutputException;
import org.l2cbeam.core.diffusion.SamplerKind;
import org.l2cbeam.core.diffusion.SamplingRun;
import org.l2cbeam.core.diffusion.SeededNoise;
import org.l2cbeam.core.diffusion.UViTSampler;
import org.l2cbeam.core.model.DiT;
import org.l2cbeam.core.model.DiffusionTransformer;
import org.l2cbeam.core.model.ForwardProbe;
import org.l2cbeam.core.model.LayerCache;
import org.l2cbeam.core.model.ModelExecution;
import org.l2cbeam.core.model.ReferenceModel;
import org.l2cbeam.core.model.UViT;
import org.l2cbeam.core.model.UnitExecutor;
import org.l2cbeam.core.model.UnitPlan;

/**
 * The redundancy between paired steps, on the small reference DiT and U-ViT: every value against
 * unit outputs taken another way (probes and a capturing unit executor on the production samplers'
 * own inputs), exactly zero when the paired steps see the same inputs, NaN refused, memory scoped.
 */
public class UnitRedundancyTest {
  @ClassRule public static final ReferenceModel<DiT> DIT = ReferenceModel.dit();
  @ClassRule public static final ReferenceModel<UViT> UVIT = ReferenceModel.uvit();

  private static final long[] LABELS = {1, 2, 3};
  private static final int STEPS = 6;

  @Test
  public void ditValuesAreTheRelativeChangesOfTheProbedUnitOutputsOnTheSamplersTrajectory() {
    DiT dit = DIT.model();
    UnitRedundancy.Result r = guided(dit, STEPS).measure(0, LABELS);
    assertEquals(2, r.rowsPerRequest());
    assertEquals(3, r.requests());
    // DDIM-6 pairs (5 → 4), (3 → 2), (1 → 0), visited from the noisiest.
    assertArrayEquals(new int[] {4, 2, 0}, new int[] {r.row(0), r.row(1), r.row(2)});
    assertEquals(3, r.cacheSteps());

    // The inputs of every step, from the ordinary sampling run (x after each step; the first step
    // starts from z).
    int per = dit.inChannels() * dit.inputSize() * dit.inputSize();
    SamplingRun.Result plain =
        SamplingRun.of(dit)
            .steps(STEPS)
            .cfgScale(1.5)
            .trajectory(true)
            .build()
            .sample(SeededNoise.consecutive(0, LABELS.length), LABELS);
    float[] z;
    try (NDManager m = DIT.manager().newSubManager()) {
      z =
          SeededNoise.consecutive(0, LABELS.length)
              .initial(m, dit.inChannels(), dit.inputSize(), dit.inputSize())
              .toFloatArray();
    }
    NoiseSchedule schedule = NoiseSchedule.dit(STEPS);
    Guidance guidance = Guidance.defaultFor(1.5, dit.inChannels());
    for (int i = 0; i < r.cacheSteps(); i++) {
      int k = r.row(i);
      float[] fullInput = inputOfStep(k + 1, z, plain.trajectory(), per * LABELS.length);
      float[] cacheInput = inputOfStep(k, z, plain.trajectory(), per * LABELS.length);
      assertEquals(schedule.timestep(k + 1), r.fullStepTime(i), 0);
      assertEquals(schedule.timestep(k), r.cacheStepTime(i), 0);
      Probed full = probeDiT(fullInput, schedule.timestep(k + 1), guidance);
      Probed cache = probeDiT(cacheInput, schedule.timestep(k), guidance);
      for (int u = 0; u < dit.units(); u++) {
        double expected =
            meanRelativeChange(full.units.get(u), cache.units.get(u), 2 * LABELS.length);
        assertThat(expected, greaterThan(1e-4)); // a real change, not a vacuous comparison
        assertEquals(
            "cache step " + k + ", " + r.unitNames().get(u),
            expected,
            r.unitChange(i, u),
            1e-9 * expected);
      }
      double eps = meanRelativeChange(full.eps, cache.eps, LABELS.length);
      assertEquals("cache step " + k + ", the guided eps", eps, r.outputChange(i), 1e-9 * eps);
    }
  }

  @Test
  public void uvitValuesAreTheRelativeChangesOfTheCapturedUnitOutputsAtTheSolversOwnInputs() {
    UViT uvit = UVIT.model();
    int nfe = 6;
    UnitRedundancy.Result r = guided(uvit, nfe).measure(0, LABELS);
    // DPM-Solver-2 with 3 outer steps: outer steps 1 and 2 start with a cache evaluation.
    assertEquals(2, r.cacheSteps());
    assertEquals(1, r.row(0));
    assertEquals(2, r.row(1));

    // The production sampler's own evaluation inputs, captured on the way.
    DpmSolver2S solver = new DpmSolver2S(DiscreteVpSchedule.stableDiffusion(), nfe);
    UViTSampler sampler = new UViTSampler(uvit, solver, 1.4, null);
    List<float[]> inputs = new ArrayList<>();
    List<Float> times = new ArrayList<>();
    try (NDManager m = UVIT.manager().newSubManager();
        UViTSampler.Caches caches = sampler.new Caches(m)) {
      DpmSolver2S.NoisePredictor guided = sampler.guidedPredictor(LABELS, caches);
      NDArray z =
          SeededNoise.consecutive(0, LABELS.length)
              .initial(m, uvit.inChannels(), uvit.inputSize(), uvit.inputSize());
      solver.sample(
          z,
          (x, t, ev) -> {
            assertEquals(inputs.size(), ev.index());
            inputs.add(x.toFloatArray());
            times.add(t);
            return guided.predict(x, t, ev);
          },
          null);
    }
    long[] nulls = new long[LABELS.length];
    Arrays.fill(nulls, uvit.nullLabel());
    for (int i = 0; i < r.cacheSteps(); i++) {
      int full = 2 * (r.row(i) - 1) + 1; // the midpoint evaluation of the outer step before
      int cache = 2 * r.row(i);
      assertEquals(times.get(full), r.fullStepTime(i), 0);
      assertEquals(times.get(cache), r.cacheStepTime(i), 0);
      List<float[]> fullCond = captureUViT(inputs.get(full), times.get(full), LABELS);
      List<float[]> fullUncond = captureUViT(inputs.get(full), times.get(full), nulls);
      List<float[]> cacheCond = captureUViT(inputs.get(cache), times.get(cache), LABELS);
      List<float[]> cacheUncond = captureUViT(inputs.get(cache), times.get(cache), nulls);
      for (int u = 0; u < uvit.units(); u++) {
        double expected =
            (meanRelativeChange(fullCond.get(u), cacheCond.get(u), LABELS.length)
                    + meanRelativeChange(fullUncond.get(u), cacheUncond.get(u), LABELS.length))
                / 2;
        assertThat(expected, greaterThan(1e-4));
        assertEquals(
            "cache step " + r.row(i) + ", " + r.unitNames().get(u),
            expected,
            r.unitChange(i, u),
            1e-9 * expected);
      }
    }
  }

  @Test
  public void pairedStepsWithTheSameInputsHaveNotChangedAtAll() {
    // The real DiT with its input pinned: every step sees the same latent and timestep, so paired
    // outputs agree.
    UnitRedundancy.Result same =
        guided(new PinnedInput(DIT.model(), true), STEPS).measure(0, LABELS);
    UnitRedundancy.Result timeMoves =
        guided(new PinnedInput(DIT.model(), false), STEPS).measure(0, LABELS);
    for (int i = 0; i < same.cacheSteps(); i++) {
      for (int u = 0; u < same.units(); u++) {
        assertEquals(0.0, same.unitChange(i, u), 0);
        assertThat(
            timeMoves.unitChange(i, u), greaterThan(0.0)); // the control: only the timestep differs
      }
      assertEquals(0.0, same.outputChange(i), 0);
      assertThat(timeMoves.outputChange(i), greaterThan(0.0));
    }
  }

  @Test
  public void nonFiniteValuesFailNamingWhere() {
    try (NDManager m = DIT.manager().newSubManager()) {
      NDArray z =
          SeededNoise.consecutive(0, 2)
              .initial(m, 4, DIT.model().inputSize(), DIT.model().inputSize());
      float[] values = z.toFloatArray();
      values[5] = Float.NaN;
      NDArray poisoned = m.create(values, z.getShape());
      UnitRedundancy measure = guided(DIT.model(), STEPS);
      NonFiniteOutputException e =
          assertThrows(
              NonFiniteOutputException.class, () -> measure.measure(poisoned, new long[] {1, 2}));
      assertThat(e.getMessage(), containsString("NaN/Inf"));
      assertThat(e.getMessage(), containsString("schedule row 5"));
    }
  }

  @Test
  public void memoryIsScopedAndTheBatchingDoesNotMatter() {
    NDManager root = DIT.manager();
    int before = root.getManagedArrays().size();
    long[] labels = {0, 1, 2};
    UnitRedundancy.Result oneCall = guided(DIT.model(), STEPS).withBatch(3).measure(7, labels);
    UnitRedundancy.Result inPieces = guided(DIT.model(), STEPS).withBatch(2).measure(7, labels);
    assertEquals(before, root.getManagedArrays().size());
    try (NDManager call = root.newSubManager()) {
      NDArray z =
          SeededNoise.consecutive(7, 3)
              .initial(call, 4, DIT.model().inputSize(), DIT.model().inputSize());
      UnitRedundancy.Result direct = guided(DIT.model(), STEPS).measure(z, labels);
      assertEquals("only the caller's z is left", 1, call.getManagedArrays().size());
      assertEquals(oneCall.unitChange(1, 3), direct.unitChange(1, 3), 0);
    }
    assertEquals(before, root.getManagedArrays().size());
    assertEquals(3, inPieces.requests());
    for (int i = 0; i < oneCall.cacheSteps(); i++) {
      for (int u = 0; u < oneCall.units(); u++) {
        assertEquals(
            oneCall.unitChange(i, u), inPieces.unitChange(i, u), 1e-5 * oneCall.unitChange(i, u));
      }
      assertEquals(
          oneCall.outputChange(i), inPieces.outputChange(i), 1e-5 * oneCall.outputChange(i));
    }
  }

  @Test
  public void theJsonHoldsEveryValueAndTheRoutersBeta() {
    DiT dit = DIT.model();
    UnitRedundancy.Result r = guided(dit, STEPS).measure(0, LABELS);
    float[][] logits = new float[STEPS][dit.units()];
    for (int k = 0; k < STEPS; k++)
      for (int u = 0; u < dit.units(); u++) logits[k][u] = 0.25f * (u - k);
    UnitRedundancy.Result withRouter = r.withRouter(new RouterScores(ModelFamily.DIT, logits));
    JsonObject json = JsonParser.parseString(withRouter.toJson()).getAsJsonObject();
    assertEquals(STEPS, json.get("steps").getAsInt());
    assertEquals(dit.units(), json.getAsJsonArray("units").size());
    assertEquals(
        dit.macs().mlpUnit(),
        json.getAsJsonArray("units").get(1).getAsJsonObject().get("macs").getAsDouble(),
        0);
    JsonArray steps = json.getAsJsonArray("cacheSteps");
    assertEquals(r.cacheSteps(), steps.size());
    for (int i = 0; i < r.cacheSteps(); i++) {
      JsonObject s = steps.get(i).getAsJsonObject();
      assertEquals(r.row(i), s.get("row").getAsInt());
      assertEquals(r.outputChange(i), s.get("output").getAsDouble(), 0);
      for (int u = 0; u < r.units(); u++) {
        assertEquals(r.unitChange(i, u), s.getAsJsonArray("units").get(u).getAsDouble(), 0);
        double beta = 1 / (1 + Math.exp(-logits[r.row(i)][u]));
        assertEquals(beta, s.getAsJsonArray("routerBeta").get(u).getAsDouble(), 1e-7);
      }
    }
    assertEquals(r.attentionMean(), json.getAsJsonObject("mean").get("attention").getAsDouble(), 0);
    assertThat(r.attentionMean(), lessThan(10.0));
  }

  @Test
  public void badSettingsAreRefusedNamingTheOption() {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> UnitRedundancy.of(SamplingRun.of(DIT.model()).steps(1).build()));
    assertThat(e.getMessage(), containsString("--steps 1 has no cache step"));
    e = assertThrows(IllegalArgumentException.class, () -> guided(UVIT.model(), 7));
    assertThat(e.getMessage(), containsString("--steps 7"));
    e =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                UnitRedundancy.of(
                    SamplingRun.of(DIT.model()).steps(4).sampler(SamplerKind.DDPM).build()));
    assertThat(e.getMessage(), containsString("--sampler ddpm"));
    e =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                UnitRedundancy.of(
                    SamplingRun.of(DIT.model())
                        .steps(4)
                        .schedule(CacheSchedule.allCompute(4, DIT.model().units()))
                        .build()));
    assertThat(e.getMessage(), containsString("--router"));
    UnitRedundancy.Result r = guided(DIT.model(), 4).measure(0, new long[] {1});
    e =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                r.withRouter(new RouterScores(ModelFamily.DIT, new float[6][DIT.model().units()])));
    assertThat(e.getMessage(), containsString("--router"));
    e =
        assertThrows(
            IllegalArgumentException.class,
            () -> guided(DIT.model(), STEPS).measure(0, new long[0]));
    assertThat(e.getMessage(), containsString("--samples"));
  }

  /** A measurement on the family's sampler with its default guidance (DiT 1.5, U-ViT 1.4). */
  private static UnitRedundancy guided(DiffusionTransformer model, int steps) {
    return UnitRedundancy.of(
        SamplingRun.of(model).steps(steps).cfgScale(model.family().defaultCfgScale()).build());
  }

  /**
   * The input of DDIM step k: z for the first step, else the sample after step k+1 (trajectory in
   * run order).
   */
  private static float[] inputOfStep(int k, float[] z, float[] trajectory, int size) {
    if (k == STEPS - 1) return z;
    int index = STEPS - 1 - (k + 1);
    return Arrays.copyOfRange(trajectory, index * size, (index + 1) * size);
  }

  /** Unit outputs (by probe) and the guided eps of one CFG forward of the doubled batch. */
  private static final class Probed {
    final List<float[]> units = new ArrayList<>();
    float[] eps;
  }

  private static Probed probeDiT(float[] x, int timestep, Guidance guidance) {
    DiT dit = DIT.model();
    int n = LABELS.length;
    Probed p = new Probed();
    float[][] byUnit = new float[dit.units()][];
    try (NDManager m = DIT.manager().newSubManager()) {
      NDArray half =
          m.create(
              x,
              new ai.djl.ndarray.types.Shape(
                  n, dit.inChannels(), dit.inputSize(), dit.inputSize()));
      NDArray doubled = half.concat(half, 0);
      long[] y = Arrays.copyOf(LABELS, 2 * n);
      Arrays.fill(y, n, 2 * n, dit.nullLabel());
      long[] t = new long[2 * n];
      Arrays.fill(t, timestep);
      ForwardProbe probe =
          (name, value) -> {
            int u = ForwardProbe.unitOf(name);
            if (u >= 0) byUnit[u] = value.toFloatArray();
          };
      NDArray out =
          dit.forward(
              doubled, m.create(t), m.create(y), UnitPlan.computeAll(dit.units()), null, probe);
      NDArray guided = guidance.combine(out, dit.inChannels());
      p.eps = guided.get("0:" + n + ", 0:" + dit.inChannels()).toFloatArray();
    }
    p.units.addAll(Arrays.asList(byUnit));
    return p;
  }

  /** Each unit's output, taken by a unit executor that computes every unit (no cache involved). */
  private static List<float[]> captureUViT(float[] x, float time, long[] labels) {
    UViT uvit = UVIT.model();
    float[][] byUnit = new float[uvit.units()][];
    try (NDManager m = UVIT.manager().newSubManager()) {
      NDArray in =
          m.create(
              x,
              new ai.djl.ndarray.types.Shape(
                  labels.length, uvit.inChannels(), uvit.inputSize(), uvit.inputSize()));
      float[] t = new float[labels.length];
      Arrays.fill(t, time);
      UnitExecutor capture =
          (unit, fresh) -> {
            NDArray o = fresh.get();
            byUnit[unit] = o.toFloatArray();
            return o;
          };
      uvit.forward(in, t, labels, capture, null);
    }
    return Arrays.asList(byUnit);
  }

  /** The mean over {@code rows} rows of ‖now − before‖ / ‖now‖, in double precision. */
  private static double meanRelativeChange(float[] before, float[] now, int rows) {
    int per = now.length / rows;
    double sum = 0;
    for (int r = 0; r < rows; r++) {
      double changed = 0;
      double size = 0;
      for (int i = r * per; i < (r + 1) * per; i++) {
        double d = (double) now[i] - before[i];
        changed += d * d;
        size += (double) now[i] * now[i];
      }
      sum += Math.sqrt(changed) / Math.sqrt(size);
    }
    return sum / rows;
  }

  /**
   * The real DiT, but every forward sees one fixed latent (and, if {@code pinTime}, one fixed
   * timestep) whatever the sampler passes: paired steps then have identical inputs.
   */
  private static final class PinnedInput implements DiffusionTransformer {
    private final DiT dit;
    private final boolean pinTime;

    PinnedInput(DiT dit, boolean pinTime) {
      this.dit = dit;
      this.pinTime = pinTime;
    }

    @Override
    public NDArray forward(
        NDArray x, float[] time, long[] labels, UnitPlan plan, LayerCache cache) {
      float[] t = time.clone();
      if (pinTime) Arrays.fill(t, 500f);
      try (NDManager scope = x.getManager().newSubManager()) {
        NDArray fixed = scope.ones(x.getShape()).mul(0.5f);
        NDArray out = dit.forward(fixed, t, labels, plan, cache);
        out.attach(x.getManager());
        return out;
      }
    }

    @Override
    public ModelFamily family() {
      return dit.family();
    }

    @Override
    public int units() {
      return dit.units();
    }

    @Override
    public UnitMacs macs() {
      return dit.macs();
    }

    @Override
    public int inChannels() {
      return dit.inChannels();
    }

    @Override
    public int inputSize() {
      return dit.inputSize();
    }

    @Override
    public int numHeads() {
      return dit.numHeads();
    }

    @Override
    public int numClasses() {
      return dit.numClasses();
    }

    @Override
    public int nullLabel() {
      return dit.nullLabel();
    }

    @Override
    public ModelExecution execution() {
      return dit.execution();
    }

    @Override
    public Device device() {
      return dit.device();
    }

    @Override
    public Map<String, Object> describe() {
      return dit.describe();
    }

    @Override
    public void checkLabels(long[] labels) {
      dit.checkLabels(labels);
    }

    @Override
    public void close() {}
  }
}
