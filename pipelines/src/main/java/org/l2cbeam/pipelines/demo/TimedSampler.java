package org.l2cbeam.pipelines.demo;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.function.IntConsumer;
import org.l2cbeam.core.diffusion.DdimSampler;
import org.l2cbeam.core.diffusion.DiTSampler;
import org.l2cbeam.core.diffusion.Guidance;
import org.l2cbeam.core.diffusion.NoiseSchedule;
import org.l2cbeam.core.diffusion.SeededNoise;
import org.l2cbeam.core.image.ImageBatch;
import org.l2cbeam.core.image.ImageConversions;
import org.l2cbeam.core.model.DiT;
import org.l2cbeam.core.model.DiTConfig;

/**
 * Samples the demo's requests under one setting and measures the wall time the sampler takes, batch by batch: from
 * the initial noise to the final samples read back to Java, nothing else (no image conversion, no FID). Every
 * setting runs in the same process, on the same model and the same requests, so the times compare.
 */
final class TimedSampler {
  private final DiT dit;
  private final Guidance guidance;
  private final int batch;

  /** The samples as uint8 images (DiT's rule) and the seconds the sampler took for all of them. */
  record Result(ImageBatch images, double seconds) {
    double secondsPerImage() {
      return seconds / images.count();
    }
  }

  TimedSampler(DiT dit, Guidance guidance, int batch) {
    this.dit = dit;
    this.guidance = guidance;
    this.batch = batch;
  }

  /** @param progress told the number of images done after each batch */
  Result sample(SamplingSetting setting, SampleRequests requests, IntConsumer progress) {
    DiTConfig c = dit.config();
    int n = requests.size();
    int per = c.inChannels * c.inputSize * c.inputSize;
    float[] all = new float[n * per];
    long nanos = 0;
    NDManager parent = dit.weightsManager();
    for (int from = 0; from < n; from += batch) {
      int to = Math.min(n, from + batch);
      try (NDManager scope = parent.newSubManager()) {
        SeededNoise noise = new SeededNoise(requests.seeds(from, to));
        long start = System.nanoTime();
        NDArray z = noise.initial(scope, c.inChannels, c.inputSize, c.inputSize);
        DiTSampler sampler =
            new DiTSampler(dit, new DdimSampler(NoiseSchedule.dit(setting.steps())), guidance, setting.schedule());
        NDArray out = sampler.sample(z, requests.labels(from, to), (k, x, x0, eps) -> {});
        float[] values = out.toFloatArray();
        nanos += System.nanoTime() - start;
        System.arraycopy(values, 0, all, from * per, values.length);
      }
      progress.accept(to);
    }
    ImageBatch images = ImageConversions.fromDiT(all, n, c.inChannels, c.inputSize, c.inputSize);
    return new Result(images, nanos / 1e9);
  }
}
