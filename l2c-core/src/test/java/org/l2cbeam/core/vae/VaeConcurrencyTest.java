package org.l2cbeam.core.vae;

import static org.junit.Assert.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.Test;
import org.l2cbeam.core.runtime.Torch;

/**
 * One model shared by several threads, as Beam DoFn threads share it in a worker JVM: each call
 * scopes its own arrays, grad mode is switched off on every calling thread, and results do not
 * depend on the interleaving.
 */
public class VaeConcurrencyTest {
  @Test
  public void concurrentEncodeAndDecodeMatchTheReference() throws Exception {
    VaeVectors vectors = new VaeVectors("vae-wide");
    ExecutorService pool = Executors.newFixedThreadPool(3);
    try (AutoencoderKL vae = AutoencoderKL.load(vectors.file("vae_diffusers_layout.safetensors"))) {
      List<Future<double[]>> results = new ArrayList<>();
      for (int task = 0; task < 6; task++) {
        results.add(
            pool.submit(
                () -> {
                  try (NDManager m = Torch.newManager()) {
                    NDArray decoded = vae.decode(vectors.get("input.z").toNDArray(m));
                    NDArray latent =
                        vae.encode(
                            vectors.get("input.x").toNDArray(m),
                            vectors.get("input.noise").toNDArray(m));
                    return new double[] {
                      vectors.relativeError("decode", decoded),
                      vectors.relativeError("encode", latent)
                    };
                  }
                }));
      }
      for (Future<double[]> f : results) {
        double[] errors = f.get();
        assertTrue("decode " + errors[0], errors[0] <= VaeVectors.TOLERANCE);
        assertTrue("encode " + errors[1], errors[1] <= VaeVectors.TOLERANCE);
      }
    } finally {
      pool.shutdownNow();
    }
  }
}
