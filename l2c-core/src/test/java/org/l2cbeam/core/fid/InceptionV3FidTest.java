package org.l2cbeam.core.fid;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertThrows;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.AfterClass;
import org.junit.BeforeClass;
import org.junit.Test;
import org.l2cbeam.core.Parity;
import org.l2cbeam.core.TestResources;
import org.l2cbeam.core.image.ImageBatch;
import org.l2cbeam.core.io.CheckpointFormatException;
import org.l2cbeam.core.io.TensorData;
import org.l2cbeam.core.io.WeightMap;
import org.l2cbeam.core.runtime.Torch;

/**
 * pytorch-fid's Inception on the manifest's deterministic weights and inputs (fid.safetensors,
 * procedure P34).
 */
public class InceptionV3FidTest {
  private static final long SEED = 22;
  private static InceptionV3Fid net;

  @BeforeClass
  public static void build() {
    net = InceptionV3Fid.withHashWeights(SEED);
  }

  @AfterClass
  public static void free() {
    net.close();
  }

  @Test
  public void hashWeightsMatchTheManifestChecksums() throws Exception {
    JsonObject params =
        JsonParser.parseString(Files.readString(TestResources.vector("fid_inception_params.json")))
            .getAsJsonObject();
    Map<String, TensorData> weights = InceptionV3Fid.hashWeights(SEED);
    JsonArray list = params.getAsJsonArray("params");
    assertEquals(list.size(), weights.size());
    long total = 0;
    for (int p = 0; p < list.size(); p++) {
      JsonObject entry = list.get(p).getAsJsonObject();
      String name = entry.get("name").getAsString();
      TensorData t = weights.get(name);
      assertArrayEquals(name, gsonLongs(entry.getAsJsonArray("shape")), t.shape());
      JsonObject sum = entry.getAsJsonObject("checksum");
      double[] v = t.toDoubleArray();
      double s = 0;
      double sq = 0;
      for (double x : v) {
        s += x;
        sq += x * x;
      }
      assertEquals(name + " n", sum.get("n").getAsLong(), v.length);
      assertEquals(
          name + " sum", sum.get("sum").getAsDouble(), s, 1e-9 * Math.max(1, Math.abs(sq)));
      assertEquals(name + " sum_sq", sum.get("sum_sq").getAsDouble(), sq, 1e-9 * Math.max(1, sq));
      JsonArray first = sum.getAsJsonArray("first8");
      for (int i = 0; i < first.size(); i++) {
        assertEquals(name + " first8[" + i + "]", first.get(i).getAsDouble(), v[i], 0);
      }
      total += v.length;
    }
    assertEquals(21820094, total);
  }

  private static long[] gsonLongs(JsonArray a) {
    long[] out = new long[a.size()];
    for (int i = 0; i < out.length; i++) out[i] = a.get(i).getAsLong();
    return out;
  }

  static float[] ruleInput(String name, int n) {
    double[] u = HashUniform.values(name, SEED, n);
    float[] x = new float[n];
    for (int i = 0; i < n; i++) x[i] = (float) ((u[i] + 1) / 2);
    return x;
  }

  @Test
  public void ruleInputsMatchTheVector() {
    WeightMap fid = WeightMap.open(TestResources.vector("fid.safetensors"));
    float[] x299 = ruleInput("fid.inception.input299", 2 * 3 * 299 * 299);
    float[] firstRow = fid.get("inception.input299_first_row").toFloatArray();
    for (int i = 0; i < 299; i++) assertEquals(firstRow[i], x299[i], 0f);
    assertArrayEquals(
        fid.get("inception.input64").toFloatArray(),
        ruleInput("fid.inception.input64", 3 * 64 * 64),
        0f);
  }

  @Test
  public void pool3FeaturesMatchPytorchFidAt299() {
    WeightMap fid = WeightMap.open(TestResources.vector("fid.safetensors"));
    try (NDManager m = Torch.newManager()) {
      NDArray x =
          m.create(
              ruleInput("fid.inception.input299", 2 * 3 * 299 * 299), new Shape(2, 3, 299, 299));
      Parity.assertClose(
          "feat299",
          net.forward(x).toFloatArray(),
          fid.get("inception.feat299").toFloatArray(),
          1e-4);
    }
  }

  @Test
  public void pool3FeaturesMatchPytorchFidThroughTheBilinearResize() {
    WeightMap fid = WeightMap.open(TestResources.vector("fid.safetensors"));
    try (NDManager m = Torch.newManager()) {
      NDArray x =
          m.create(ruleInput("fid.inception.input64", 3 * 64 * 64), new Shape(1, 3, 64, 64));
      Parity.assertClose(
          "feat64",
          net.forward(x).toFloatArray(),
          fid.get("inception.feat64").toFloatArray(),
          1e-4);
    }
  }

  @Test
  public void torchvisionStateDictNamesLoadTheSameNetwork() {
    // pt_inception-2015-12-05-6726825d.pth uses torchvision Inception3 names and carries fc.*;
    // rename the hash weights
    Map<String, String> toTorchvision = new LinkedHashMap<>();
    String[][] modules = {
      {"blocks.0.0", "Conv2d_1a_3x3"},
      {"blocks.0.1", "Conv2d_2a_3x3"},
      {"blocks.0.2", "Conv2d_2b_3x3"},
      {"blocks.1.0", "Conv2d_3b_1x1"},
      {"blocks.1.1", "Conv2d_4a_3x3"},
      {"blocks.2.0", "Mixed_5b"},
      {"blocks.2.1", "Mixed_5c"},
      {"blocks.2.2", "Mixed_5d"},
      {"blocks.2.3", "Mixed_6a"},
      {"blocks.2.4", "Mixed_6b"},
      {"blocks.2.5", "Mixed_6c"},
      {"blocks.2.6", "Mixed_6d"},
      {"blocks.2.7", "Mixed_6e"},
      {"blocks.3.0", "Mixed_7a"},
      {"blocks.3.1", "Mixed_7b"},
      {"blocks.3.2", "Mixed_7c"}
    };
    Map<String, TensorData> renamed = new LinkedHashMap<>();
    InceptionV3Fid.hashWeights(SEED)
        .forEach(
            (k, v) -> {
              for (String[] m : modules) {
                if (k.startsWith(m[0] + ".")) renamed.put(m[1] + k.substring(m[0].length()), v);
              }
            });
    renamed.put("fc.weight", TensorData.ofFloats(new long[] {1008, 2048}, new float[1008 * 2048]));
    renamed.put("fc.bias", TensorData.ofFloats(new long[] {1008}, new float[1008]));
    try (InceptionV3Fid tv =
            InceptionV3Fid.fromWeights(
                new WeightMap(Path.of("pt_inception.pth"), renamed, Map.of()));
        NDManager m = Torch.newManager()) {
      NDArray x =
          m.create(ruleInput("fid.inception.input64", 3 * 64 * 64), new Shape(1, 3, 64, 64));
      assertArrayEquals(net.forward(x).toFloatArray(), tv.forward(x).toFloatArray(), 0f);
    }
  }

  @Test
  public void wrongWeightsAreRejectedWithTheKeyNamed() {
    Map<String, TensorData> w = InceptionV3Fid.hashWeights(SEED);
    w.remove("blocks.2.4.branch7x7_2.conv.weight");
    CheckpointFormatException e =
        assertThrows(
            CheckpointFormatException.class,
            () -> InceptionV3Fid.fromWeights(new WeightMap(Path.of("broken.pth"), w, Map.of())));
    assertThat(e.getMessage(), containsString("broken.pth"));
    assertThat(e.getMessage(), containsString("blocks.2.4.branch7x7_2.conv.weight"));
  }

  @Test
  public void wrongChannelCountIsRejected() {
    ImageBatch grey = new ImageBatch(2, 28, 28, 1, new byte[2 * 28 * 28]);
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> net.features(grey));
    assertThat(e.getMessage(), containsString("3 channels"));
    assertThat(e.getMessage(), containsString("[2, 28, 28, 1]"));
  }

  @Test
  public void uint8ImagesAreScaledLikeToTensor() {
    byte[] px = new byte[2 * 8 * 8 * 3];
    for (int i = 0; i < px.length; i++) px[i] = (byte) (i * 7);
    ImageBatch images = new ImageBatch(2, 8, 8, 3, px);
    float[][] rows = net.features(images);
    assertEquals(2, rows.length);
    try (NDManager m = Torch.newManager()) {
      float[] nchw = new float[px.length];
      for (int n = 0; n < 2; n++)
        for (int y = 0; y < 8; y++)
          for (int xx = 0; xx < 8; xx++)
            for (int c = 0; c < 3; c++)
              nchw[((n * 3 + c) * 8 + y) * 8 + xx] = images.get(n, y, xx, c) / 255f;
      float[] expected = net.forward(m.create(nchw, new Shape(2, 3, 8, 8))).toFloatArray();
      float[] got = new float[2 * 2048];
      System.arraycopy(rows[0], 0, got, 0, 2048);
      System.arraycopy(rows[1], 0, got, 2048, 2048);
      // The divided inputs are bit-identical (issue 14); a wrong conv layout path, not rounding, is
      // what this catches
      Parity.assertClose("uint8 path", got, expected, 1e-4);
    }
  }
}
