package org.l2cbeam.core.diffusion;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.fail;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.ClassRule;
import org.junit.Test;
import org.l2cbeam.core.io.CheckpointFormatException;
import org.l2cbeam.core.io.TensorData;
import org.l2cbeam.core.io.WeightMap;
import org.l2cbeam.core.model.DiT;
import org.l2cbeam.core.model.DiTConfig;
import org.l2cbeam.core.model.ReferenceModel;
import org.l2cbeam.core.router.CacheSchedule;

/** Bad input to the DiT and its sampler: each gets a clear error naming what is wrong. */
public class DiTSamplerBadInputTest {
  @ClassRule public static final ReferenceModel<DiT> REFERENCE = ReferenceModel.dit();

  private static DiTSampler sampler(CacheSchedule schedule) {
    return new DiTSampler(
        REFERENCE.model(),
        new DdimSampler(NoiseSchedule.dit(10)),
        new Guidance(1.5, Guidance.Channels.ALL),
        schedule);
  }

  @Test
  public void labelsOutOfRange() {
    try (NDManager m = REFERENCE.manager().newSubManager()) {
      NDArray z = m.zeros(new Shape(2, 4, 8, 8));
      sampler(null).sample(z, new long[] {3, 10}, StepListener.NONE);
      fail("label 10 accepted");
    } catch (IllegalArgumentException e) {
      assertThat(e.getMessage(), containsString("label 10 at position 1 is out of range"));
      assertThat(e.getMessage(), containsString("classes 0..9"));
    }
    try (NDManager m = REFERENCE.manager().newSubManager()) {
      // The forward accepts the null class 10 but nothing beyond it, nor negatives.
      REFERENCE
          .model()
          .forward(
              m.zeros(new Shape(1, 4, 8, 8)), m.create(new long[] {5}), m.create(new long[] {-1}));
      fail("label -1 accepted");
    } catch (IllegalArgumentException e) {
      assertThat(e.getMessage(), containsString("label -1"));
      assertThat(e.getMessage(), containsString("null class 10"));
    }
  }

  @Test
  public void wrongLatentSize() {
    try (NDManager m = REFERENCE.manager().newSubManager()) {
      sampler(null).sample(m.zeros(new Shape(1, 4, 16, 16)), new long[] {1}, StepListener.NONE);
      fail("16x16 latent accepted");
    } catch (IllegalArgumentException e) {
      assertThat(e.getMessage(), containsString("[1, 4, 16, 16]"));
      assertThat(e.getMessage(), containsString("expects [n, 4, 8, 8]"));
    }
    try (NDManager m = REFERENCE.manager().newSubManager()) {
      REFERENCE
          .model()
          .forward(
              m.zeros(new Shape(1, 3, 8, 8)), m.create(new long[] {5}), m.create(new long[] {1}));
      fail("3-channel latent accepted");
    } catch (IllegalArgumentException e) {
      assertThat(e.getMessage(), containsString("expects [N, 4, 8, 8]"));
    }
  }

  @Test
  public void scheduleWithWrongStepOrUnitCount() {
    try {
      sampler(CacheSchedule.allCompute(20, 8));
      fail("20-step schedule accepted for 10 steps");
    } catch (IllegalArgumentException e) {
      assertThat(e.getMessage(), containsString("20 steps x 8 units"));
      assertThat(e.getMessage(), containsString("sampler has 10 steps"));
    }
    try {
      sampler(CacheSchedule.allCompute(10, 56));
      fail("56-unit schedule accepted for an 8-unit model");
    } catch (IllegalArgumentException e) {
      assertThat(e.getMessage(), containsString("10 steps x 56 units"));
      assertThat(e.getMessage(), containsString("model 8 units"));
    }
  }

  @Test
  public void threeChannelGuidanceOnAOneChannelModelIsRejected() {
    try {
      new Guidance(1.5, Guidance.Channels.FIRST_THREE).guidedChannels(1);
      fail();
    } catch (IllegalArgumentException e) {
      assertThat(e.getMessage(), containsString("--guided-channels all"));
    }
  }

  @Test
  public void nonFiniteOutputNamesTheStepAndUnit() {
    // Poison block 2's MLP (unit 5): fc1 weights become NaN, so unit 5 is the first non-finite unit
    // output.
    Map<String, TensorData> poisoned = new LinkedHashMap<>(REFERENCE.weights().tensors());
    TensorData fc1 = REFERENCE.weights().get("blocks.2.mlp.fc1.weight");
    float[] v = fc1.toFloatArray();
    v[7] = Float.NaN;
    poisoned.put("blocks.2.mlp.fc1.weight", TensorData.ofFloats(fc1.shape(), v));
    WeightMap w = new WeightMap(REFERENCE.weights().source(), poisoned, Map.of());
    try (NDManager m = REFERENCE.manager().newSubManager();
        DiT bad = DiT.load(w, REFERENCE.model().config(), m)) {
      DiTSampler s = new DiTSampler(bad, new DdimSampler(NoiseSchedule.dit(10)), null, null);
      s.sample(m.randomNormal(new Shape(1, 4, 8, 8)), new long[] {1}, StepListener.NONE);
      fail("NaN output not detected");
    } catch (NonFiniteOutputException e) {
      assertEquals(9, e.step());
      assertEquals(5, e.unit());
      assertThat(e.getMessage(), containsString("step k=9 (timestep 999)"));
      assertThat(e.getMessage(), containsString("cache unit 5 (block 2 MLP branch)"));
    }
  }

  @Test
  public void inconsistentCheckpointShapesAreNamed() {
    Map<String, TensorData> broken = new LinkedHashMap<>(REFERENCE.weights().tensors());
    broken.put(
        "blocks.1.mlp.fc2.weight", TensorData.ofFloats(new long[] {64, 128}, new float[64 * 128]));
    try {
      DiTConfig.infer(new WeightMap(REFERENCE.weights().source(), broken, Map.of()), 4);
      fail();
    } catch (CheckpointFormatException e) {
      assertThat(e.getMessage(), containsString("dit_model.safetensors"));
      assertThat(e.getMessage(), containsString("blocks.1.mlp.fc2.weight"));
    }
    try {
      DiTConfig.infer(REFERENCE.weights(), 0);
      fail();
    } catch (CheckpointFormatException e) {
      assertThat(e.getMessage(), containsString("number of attention heads"));
    }
  }

  @Test
  public void officialConfigTable() {
    DiTConfig xl = DiTConfig.official("DiT-XL/2", 32);
    assertEquals(1152, xl.hiddenSize);
    assertEquals(28, xl.depth);
    assertEquals(16, xl.numHeads);
    assertEquals(56, xl.units());
    assertEquals(256, xl.tokens());
    double[] macs = xl.macsPerImage();
    assertEquals(118.6e9, xl.depth * (macs[0] + macs[1]) + macs[2], 0.1e9);
    assertEquals(1.510e9, macs[0], 0.001e9);
    assertEquals(2.718e9, macs[1], 0.001e9);
    assertEquals("DiT-S/8", DiTConfig.official("S/8", 32).officialName());
    assertEquals(12, DiTConfig.officialNames().size());
    try {
      DiTConfig.official("DiT-M/2", 32);
      fail();
    } catch (IllegalArgumentException e) {
      assertThat(e.getMessage(), containsString("DiT-XL/2"));
    }
  }
}
