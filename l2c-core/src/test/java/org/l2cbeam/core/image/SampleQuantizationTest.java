package org.l2cbeam.core.image;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;

import org.junit.Test;
import org.l2cbeam.core.TestResources;
import org.l2cbeam.core.io.TensorData;
import org.l2cbeam.core.io.WeightMap;

/**
 * The DiT and U-ViT uint8 rules against the bytes the original expressions produced (vectors
 * post.*).
 */
public class SampleQuantizationTest {
  @Test
  public void bothRulesMatchTheOriginalsExactly() {
    for (String set : new String[] {"vae", "vae-wide"}) {
      WeightMap v = WeightMap.open(TestResources.vector(set + "/vae_vectors.safetensors"));
      TensorData in = v.get("post.in");
      float[] x = in.toFloatArray();
      byte[] dit = SampleQuantization.DIT.toNhwc(x, in.shape());
      byte[] uvit = SampleQuantization.UVIT.toNhwc(x, in.shape());
      assertArrayEquals(set + " DiT", toBytes(v.get("post.dit_uint8")), dit);
      assertArrayEquals(set + " U-ViT", toBytes(v.get("post.uvit_uint8")), uvit);
    }
  }

  @Test
  public void edgeValues() {
    assertEquals(0, SampleQuantization.DIT.toByte(-1f));
    assertEquals(255, SampleQuantization.DIT.toByte(1f));
    assertEquals(128, SampleQuantization.DIT.toByte(0f));
    assertEquals(0, SampleQuantization.DIT.toByte(-1.5f));
    assertEquals(255, SampleQuantization.UVIT.toByte(1.5f));
    assertEquals(128, SampleQuantization.UVIT.toByte(0f));
    assertEquals(0, SampleQuantization.UVIT.toByte(Float.NaN));
  }

  private static byte[] toBytes(TensorData t) {
    long[] values = t.toLongArray();
    byte[] b = new byte[values.length];
    for (int i = 0; i < b.length; i++) b[i] = (byte) values[i];
    return b;
  }
}
