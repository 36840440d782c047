package org.l2cbeam.core.router;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertSame;
import static org.junit.Assert.assertThrows;

import org.junit.Test;

public class CacheScheduleTest {
  // 3 layers: step 0 computes attention of layer 0 and MLP of layer 2; step 1 computes everything
  // but layer 1's MLP
  private static final CacheSchedule THREE_LAYERS =
      new CacheSchedule(
          new boolean[][] {
            {true, false, false, false, false, true},
            {true, true, true, false, true, true}
          });

  @Test
  public void resamplingToTheSameDepthIsTheSameSchedule() {
    assertSame(THREE_LAYERS, THREE_LAYERS.resampledToLayers(3));
  }

  @Test
  public void resamplingToMoreLayersRepeatsEachLayersDecisionsByPosition() {
    CacheSchedule six = THREE_LAYERS.resampledToLayers(6);
    assertEquals(12, six.units());
    assertEquals(2, six.steps());
    // layer l takes source layer floor(3l/6): 0,0,1,1,2,2
    assertArrayEquals(
        new boolean[] {
          true, false, true, false, false, false, false, false, false, true, false, true
        },
        six.row(0));
    assertArrayEquals(
        new boolean[] {true, true, true, true, true, false, true, false, true, true, true, true},
        six.row(1));
  }

  @Test
  public void resamplingToFewerLayersKeepsAttentionAndMlpDecisionsApart() {
    CacheSchedule two = THREE_LAYERS.resampledToLayers(2); // sources floor(3l/2): 0, 1
    assertArrayEquals(new boolean[] {true, false, false, false}, two.row(0));
    assertArrayEquals(new boolean[] {true, true, true, false}, two.row(1));
  }

  @Test
  public void resamplingNeedsUnitPairsAndAPositiveDepth() {
    CacheSchedule odd = new CacheSchedule(new boolean[][] {{true, false, true}});
    assertThrows(IllegalStateException.class, () -> odd.resampledToLayers(2));
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> THREE_LAYERS.resampledToLayers(0));
    assertEquals("layers must be at least 1, got 0", e.getMessage());
  }
}
