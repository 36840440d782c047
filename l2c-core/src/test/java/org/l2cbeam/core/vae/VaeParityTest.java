package org.l2cbeam.core.vae;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.AfterClass;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.junit.runners.Parameterized;
import org.junit.runners.Parameterized.Parameters;
import org.l2cbeam.core.io.TensorData;
import org.l2cbeam.core.runtime.Torch;

/**
 * Encode, posterior, decode and every intermediate against the original U-ViT FrozenAutoencoderKL,
 * for both vector sets and every weight layout, within 1e-5·max|ref| per tensor.
 */
@RunWith(Parameterized.class)
public class VaeParityTest {
  private static final Map<String, AutoencoderKL> MODELS = new LinkedHashMap<>();

  @Parameters(name = "{0} {1}")
  public static Collection<Object[]> cases() {
    List<Object[]> cases = new ArrayList<>();
    for (String set : new String[] {"vae", "vae-wide"}) {
      for (String weights : VaeWeightFixtures.WEIGHT_FILES) cases.add(new Object[] {set, weights});
    }
    return cases;
  }

  private final VaeVectors vectors;
  private final String weights;

  public VaeParityTest(String set, String weights) {
    this.vectors = new VaeVectors(set);
    this.weights = weights;
  }

  private AutoencoderKL model() {
    return MODELS.computeIfAbsent(
        vectors.set + "/" + weights,
        k -> AutoencoderKL.create(VaeWeightFixtures.checkpoint(vectors, weights)));
  }

  @AfterClass
  public static void closeModels() {
    MODELS.values().forEach(AutoencoderKL::close);
    MODELS.clear();
  }

  @Test
  public void encoderMomentsPosteriorAndIntermediates() {
    try (NDManager m = Torch.newManager()) {
      NDArray x = vectors.get("input.x").toNDArray(m);
      Map<String, TensorData> seen = new LinkedHashMap<>();
      try (DiagonalGaussian posterior =
          model().encodeMoments(x, (name, a) -> seen.put(name, TensorData.of(a)))) {
        for (String name :
            List.of(
                "enc.conv_in",
                "enc.down.0",
                "enc.down.1",
                "enc.mid.block_1",
                "enc.mid.attn_1",
                "enc.mid",
                "enc.out")) {
          assertTrue("probe saw " + name, seen.containsKey(name));
          vectors.assertClose(weights, name, seen.get(name).toNDArray(m));
        }
        vectors.assertClose(weights, "moments.mean", posterior.mean());
        vectors.assertClose(weights, "moments.logvar", posterior.logvar());
        vectors.assertClose(weights, "moments", posterior.mean().concat(posterior.logvar(), 1));
        NDArray noise = vectors.get("input.noise").toNDArray(m);
        vectors.assertClose(weights, "posterior.sample", posterior.sample(noise));
        vectors.assertClose(weights, "encode", model().latentFrom(posterior, noise));
      }
      vectors.assertClose(
          weights, "encode", model().encode(x, vectors.get("input.noise").toNDArray(m)));
    }
  }

  @Test
  public void posteriorClampsExtremeLogvar() {
    try (NDManager m = Torch.newManager();
        DiagonalGaussian posterior =
            DiagonalGaussian.fromMoments(vectors.get("extreme.moments").toNDArray(m))) {
      NDArray latent = model().latentFrom(posterior, vectors.get("input.noise").toNDArray(m));
      vectors.assertClose(weights, "extreme.sample", latent);
    }
  }

  @Test
  public void decodeAndIntermediates() {
    try (NDManager m = Torch.newManager()) {
      NDArray z = vectors.get("input.z").toNDArray(m);
      Map<String, TensorData> seen = new LinkedHashMap<>();
      NDArray images = model().decode(z, (name, a) -> seen.put(name, TensorData.of(a)));
      for (String name :
          List.of(
              "dec.post_quant",
              "dec.conv_in",
              "dec.mid.block_1",
              "dec.mid.attn_1",
              "dec.mid",
              "dec.up.1",
              "dec.up.0")) {
        assertTrue("probe saw " + name, seen.containsKey(name));
        vectors.assertClose(weights, name, seen.get(name).toNDArray(m));
      }
      vectors.assertClose(weights, "decode", images);
      assertEquals("result lives in the caller's manager", m, images.getManager());
    }
  }

  /**
   * An image does not depend on which other latents shared its call: decoded in a batch or alone,
   * bit for bit.
   */
  @Test
  public void aLatentDecodesToTheSameBitsInABatchAndAlone() {
    try (NDManager m = Torch.newManager()) {
      NDArray z = vectors.get("input.z").toNDArray(m);
      NDArray pair = z.concat(z.flip(0).mul(0.5f), 0); // a batch of at least 2 distinct latents
      float[] batched = model().decode(pair).toFloatArray();
      int per = batched.length / (int) pair.getShape().get(0);
      for (long i = 0; i < pair.getShape().get(0); i++) {
        float[] alone = model().decode(pair.get(i + ":" + (i + 1))).toFloatArray();
        assertArrayEquals(
            "latent " + i,
            alone,
            java.util.Arrays.copyOfRange(batched, (int) i * per, (int) (i + 1) * per),
            0f);
      }
    }
  }
}
