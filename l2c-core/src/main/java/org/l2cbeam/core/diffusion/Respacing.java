package org.l2cbeam.core.diffusion;

import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;

/**
 * guided-diffusion's {@code space_timesteps}: which of the original timesteps a respaced sampler
 * keeps.
 *
 * <ul>
 *   <li>{@code "N"} (or {@code "N1,N2,..."}): equal sections, each taking its count with a
 *       fractional stride {@code (size-1)/(count-1)} rounded half-to-even, as Python's {@code
 *       round}. DiT's {@code create_diffusion(str(N))} uses this: N=20 keeps 0, 53, 105, ..., 946,
 *       999.
 *   <li>{@code "ddimN"}: the integer stride {@code i} for which {@code range(0, T, i)} has exactly
 *       N elements.
 * </ul>
 */
public final class Respacing {
  private Respacing() {}

  /** The kept original timesteps in increasing order: index k of the result is spaced step k. */
  public static int[] timesteps(int numTimesteps, String spec) {
    String s = spec.trim();
    if (s.startsWith("ddim")) {
      int desired = parseCount(s.substring(4), spec);
      for (int i = 1; i < numTimesteps; i++) {
        int count = (numTimesteps + i - 1) / i;
        if (count == desired) {
          int[] out = new int[count];
          for (int j = 0; j < count; j++) out[j] = j * i;
          return out;
        }
      }
      throw new IllegalArgumentException(
          "cannot create exactly "
              + desired
              + " steps with an integer stride from "
              + numTimesteps
              + " (respacing '"
              + spec
              + "')");
    }
    String[] parts = s.split(",");
    int sections = parts.length;
    int sizePer = numTimesteps / sections;
    int extra = numTimesteps % sections;
    int start = 0;
    TreeSet<Integer> all = new TreeSet<>();
    for (int i = 0; i < sections; i++) {
      int count = parseCount(parts[i], spec);
      int size = sizePer + (i < extra ? 1 : 0);
      if (size < count) {
        throw new IllegalArgumentException(
            "cannot divide a section of "
                + size
                + " timesteps into "
                + count
                + " steps (respacing '"
                + spec
                + "')");
      }
      double fracStride = count <= 1 ? 1 : (double) (size - 1) / (count - 1);
      double cur = 0.0;
      for (int j = 0; j < count; j++) {
        all.add(start + (int) Math.rint(cur)); // Python 3 round(): half to even
        cur += fracStride;
      }
      start += size;
    }
    List<Integer> sorted = new ArrayList<>(all);
    int[] out = new int[sorted.size()];
    for (int i = 0; i < out.length; i++) out[i] = sorted.get(i);
    return out;
  }

  private static int parseCount(String s, String spec) {
    try {
      int n = Integer.parseInt(s.trim());
      if (n <= 0) throw new NumberFormatException();
      return n;
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(
          "invalid respacing '"
              + spec
              + "': expected a positive step count such as \"20\", \"10,10\" or \"ddim20\"");
    }
  }
}
