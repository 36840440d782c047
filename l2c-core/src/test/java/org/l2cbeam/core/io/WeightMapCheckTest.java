package org.l2cbeam.core.io;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertThrows;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.Test;

/**
 * The strict load check names wrong dtypes and transposed tensors; tensor summaries count
 * non-finite values.
 */
public class WeightMapCheckTest {
  private static final Path FILE = Path.of("weights.safetensors");

  private static String strictError(Map<String, TensorData> tensors, Map<String, long[]> expected) {
    return assertThrows(
            CheckpointFormatException.class,
            () -> new WeightMap(FILE, tensors, Map.of()).checkStrict(expected))
        .getMessage();
  }

  @Test
  public void weightsMustBeFloat32OrWidenToIt() {
    Map<String, long[]> expected = new LinkedHashMap<>();
    expected.put("w", new long[] {2});
    expected.put("v", new long[] {2});
    expected.put("bn.num_batches_tracked", new long[] {});
    Map<String, TensorData> tensors = new LinkedHashMap<>();
    ByteBuffer ints = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
    tensors.put("w", new TensorData(DType.I32, new long[] {2}, ints));
    tensors.put("v", TensorData.ofDoubles(new long[] {2}, new double[] {1, 2}));
    tensors.put("bn.num_batches_tracked", TensorData.ofLongs(new long[] {}, new long[] {7}));
    assertThat(
        strictError(tensors, expected), containsString("wrong dtypes: [w is I32, v is F64]"));
    tensors.put("w", new TensorData(DType.BF16, new long[] {2}, ByteBuffer.allocate(4)));
    tensors.put("v", new TensorData(DType.F16, new long[] {2}, ByteBuffer.allocate(4)));
    new WeightMap(FILE, tensors, Map.of()).checkStrict(expected);
  }

  @Test
  public void aTransposedTensorIsCalledSo() {
    Map<String, TensorData> tensors =
        Map.of("qkv", TensorData.ofFloats(new long[] {64, 192}, new float[64 * 192]));
    assertThat(
        strictError(tensors, Map.of("qkv", new long[] {192, 64})),
        containsString("wrong shapes: [qkv (checkpoint [64, 192], model [192, 64]: transposed?)]"));
  }

  @Test
  public void longListsAreCut() {
    Map<String, long[]> expected = new LinkedHashMap<>();
    for (int i = 0; i < 12; i++) expected.put("t" + i, new long[] {1});
    assertThat(
        strictError(Map.of(), expected),
        containsString("missing keys: [t0, t1, t2, t3, t4, t5, t6, t7] and 4 more"));
  }

  @Test
  public void summariesSkipAndCountNonFiniteValues() {
    TensorData.Summary s =
        TensorData.ofFloats(new long[] {4}, new float[] {1, Float.NaN, 2, Float.POSITIVE_INFINITY})
            .summary();
    assertEquals(3, s.sum, 0);
    assertEquals(5, s.sumOfSquares, 0);
    assertEquals(2, s.nonFinite);
    assertEquals(6, TensorData.ofLongs(new long[] {3}, new long[] {1, 2, 3}).summary().sum, 0);
  }
}
