package org.l2cbeam.core.io;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;
import org.l2cbeam.core.TestResources;
import org.l2cbeam.core.runtime.Torch;

public class SafetensorsFileTest {
  @Rule public TemporaryFolder tmp = new TemporaryFolder();

  @Test
  public void readsReferenceWeightsIntoTorch() {
    WeightMap w = WeightMap.open(TestResources.vector("dit_model.safetensors"));
    assertEquals(52, w.names().size());
    assertArrayEquals(new long[] {64, 4, 2, 2}, w.shape("x_embedder.proj.weight"));
    try (NDManager m = Torch.newManager()) {
      NDArray a = w.get("x_embedder.proj.weight").toNDArray(m);
      float[] direct = w.get("x_embedder.proj.weight").toFloatArray();
      assertArrayEquals(direct, a.toFloatArray(), 0f);
    }
  }

  @Test
  public void writeThenReadRoundTrips() throws Exception {
    Map<String, TensorData> t = new LinkedHashMap<>();
    t.put("a", TensorData.ofFloats(new long[] {2, 3}, new float[] {1, 2, 3, 4, 5, 6}));
    t.put("b", TensorData.ofLongs(new long[] {2}, new long[] {7, -8}));
    t.put("c", TensorData.ofDoubles(new long[] {1}, new double[] {Math.PI}));
    Path f = tmp.getRoot().toPath().resolve("x.safetensors");
    SafetensorsWriter.write(f, t, Map.of("k", "v"));
    SafetensorsFile.Contents c = SafetensorsFile.read(f);
    assertArrayEquals(new float[] {1, 2, 3, 4, 5, 6}, c.tensors.get("a").toFloatArray(), 0f);
    assertArrayEquals(new long[] {7, -8}, c.tensors.get("b").toLongArray());
    assertEquals(Math.PI, c.tensors.get("c").toDoubleArray()[0], 0);
    assertEquals("v", c.metadata.get("k"));
    try (var s = Files.list(tmp.getRoot().toPath())) {
      assertEquals("no temp file left behind", 1, s.count());
    }
  }
}
