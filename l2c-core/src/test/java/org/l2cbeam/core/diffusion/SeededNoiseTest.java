package org.l2cbeam.core.diffusion;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertThrows;

import org.junit.Test;

/** Consecutive sample seeds never wrap around past 2^63 - 1 into other seeds' noise. */
public class SeededNoiseTest {
  @Test
  public void consecutiveSeedsMustNotWrapAround() {
    SeededNoise.checkConsecutive(Long.MAX_VALUE, 1);
    SeededNoise.checkConsecutive(Long.MAX_VALUE - 9, 10);
    SeededNoise.checkConsecutive(Long.MIN_VALUE, 10);
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> SeededNoise.checkConsecutive(Long.MAX_VALUE - 8, 10));
    assertEquals(
        "seed 9223372036854775799 + 9 runs past the largest seed 9223372036854775807 (it would wrap around to other"
            + " seeds' noise); use a seed at most 9223372036854775798",
        e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> SeededNoise.consecutive(Long.MAX_VALUE, 2));
  }
}
