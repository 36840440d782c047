package org.l2cbeam.core.model;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.Test;
import org.l2cbeam.core.TestResources;
import org.l2cbeam.core.io.WeightMap;
import org.l2cbeam.core.runtime.Torch;

/**
 * A forward frees each block's intermediates when the block returns: the number of live arrays seen
 * at the end of every block is the same, so a forward's peak memory is one block's activations, not
 * the whole network's.
 */
public class DiTForwardMemoryTest {
  @Test
  public void liveArraysDoNotGrowWithDepth() {
    Torch.inferenceMode();
    WeightMap w = WeightMap.open(TestResources.vector("dit_model.safetensors"));
    WeightMap vec = WeightMap.open(TestResources.vector("dit_forward.safetensors"));
    try (NDManager root = Torch.newManager();
        DiT dit = DiT.load(w, DiTConfig.infer(w, 4), root);
        NDManager call = root.newSubManager();
        LayerCache cache = new LayerCache(call, dit.units())) {
      NDArray x = vec.get("in.x").toNDArray(call);
      NDArray t = vec.get("in.t").toNDArray(call);
      NDArray y = vec.get("in.y").toNDArray(call);
      // A full step that records, then a cache step computing every attention branch and reusing
      // every MLP branch (the
      // same work in every block, so the same number of intermediates).
      UnitPlan cacheStep =
          UnitPlan.hard(new boolean[] {true, false, true, false, true, false, true, false});
      for (UnitPlan plan : new UnitPlan[] {UnitPlan.recordAll(dit.units()), cacheStep}) {
        Map<String, Integer> live = new LinkedHashMap<>();
        int base = call.getManagedArrays().size();
        dit.forward(
            x,
            t,
            y,
            plan,
            cache,
            (name, value) -> {
              if (name.endsWith(".out")) live.put(name, call.getManagedArrays().size() - base);
            });
        assertEquals(plan + ": " + live, dit.config().depth, live.size());
        assertTrue(plan + ": " + live, live.get("block0.out") > 0);
        for (Map.Entry<String, Integer> e : live.entrySet()) {
          // Cached outputs recorded so far live in the cache (under the call's manager): one per
          // unit of the earlier
          // blocks on a recording plan, none on a cache step.
          int block = Integer.parseInt(e.getKey().substring(5, e.getKey().indexOf('.')));
          int recorded = plan.records() ? 2 * block : 0;
          assertEquals(plan + ": " + live, live.get("block0.out") + recorded, (int) e.getValue());
        }
      }
    }
  }
}
