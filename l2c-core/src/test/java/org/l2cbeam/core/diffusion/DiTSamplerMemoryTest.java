package org.l2cbeam.core.diffusion;

import static org.junit.Assert.assertEquals;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import org.junit.Test;
import org.l2cbeam.core.TestResources;
import org.l2cbeam.core.io.WeightMap;
import org.l2cbeam.core.model.DiT;
import org.l2cbeam.core.model.DiTConfig;
import org.l2cbeam.core.router.CacheSchedule;
import org.l2cbeam.core.runtime.Torch;

/** Native memory stays flat over many cached sampling steps: no array outlives its step scope. */
public class DiTSamplerMemoryTest {
  @Test
  public void nativeArrayCountDoesNotGrowOverCachedSteps() {
    assertArrayCountFlat(DiTSamplingParityTest.routerSchedule());
  }

  @Test
  public void nativeArrayCountDoesNotGrowOverPlainSteps() {
    assertArrayCountFlat(null);
  }

  private static void assertArrayCountFlat(CacheSchedule schedule) {
    Torch.inferenceMode();
    WeightMap w = WeightMap.open(TestResources.vector("dit_model.safetensors"));
    try (NDManager root = Torch.newManager();
        DiT dit = DiT.load(w, DiTConfig.infer(w, 4), root)) {
      int afterLoad = root.getManagedArrays().size();
      DiTSampler sampler =
          new DiTSampler(
              dit,
              new DdimSampler(NoiseSchedule.dit(10)),
              new Guidance(1.5, Guidance.Channels.FIRST_THREE),
              schedule);
      int[] counts = new int[3];
      for (int run = 0; run < 4; run++) { // 40 steps; with the router, 20 of them cache steps
        try (NDManager call = root.newSubManager()) {
          NDArray z = call.randomNormal(new Shape(2, 4, 8, 8));
          sampler.sample(z, new long[] {1, 2}, StepListener.NONE);
          if (run == 0) counts[0] = call.getManagedArrays().size();
          if (run == 3) counts[1] = call.getManagedArrays().size();
        }
        if (run == 3) counts[2] = root.getManagedArrays().size();
      }
      // Inside a call: the input and the returned sample only; after it: exactly the model's
      // weights.
      assertEquals(2, counts[0]);
      assertEquals(2, counts[1]);
      assertEquals(afterLoad, counts[2]);
    }
  }
}
