package org.l2cbeam.test;

import java.util.List;
import org.l2cbeam.beam.BatchSampler;
import org.l2cbeam.beam.GeneratedSample;
import org.l2cbeam.beam.SampleRequest;
import org.l2cbeam.beam.SamplingSettings;
import org.l2cbeam.core.assets.BuiltinAssets;
import org.l2cbeam.core.diffusion.Guidance;
import org.l2cbeam.core.fid.FeatureStats;
import org.l2cbeam.core.fid.FidStats;
import org.l2cbeam.core.fid.FmnistFeatureNet;
import org.l2cbeam.core.fid.FrechetDistance;
import org.l2cbeam.core.image.ImageBatch;
import org.l2cbeam.core.model.DiT;
import org.l2cbeam.core.router.CacheSchedule;

/**
 * The FID-FMNIST of the bundled DiT's samples computed in this process without Beam: the sampler
 * and the feature net called directly, what a benchmark pipeline's FIDs must equal.
 */
final class BareSamplerFid {
  private BareSamplerFid() {}

  /**
   * DDIM-{@code steps} with CFG {@code cfg} on all channels and {@code schedule} (null: plain),
   * model batch {@code batch}.
   */
  static double of(
      DiT dit,
      int steps,
      double cfg,
      CacheSchedule schedule,
      List<SampleRequest> requests,
      int batch) {
    int n = requests.size();
    List<GeneratedSample> samples =
        new BatchSampler(
                dit,
                SamplingSettings.of("ddim", steps, cfg, Guidance.Channels.ALL),
                schedule,
                "bare",
                batch)
            .sample(requests)
            .samples;
    byte[] pixels = new byte[n * 32 * 32];
    for (int i = 0; i < n; i++) System.arraycopy(samples.get(i).image(), 0, pixels, i * 1024, 1024);
    FeatureStats stats = new FeatureStats(FmnistFeatureNet.DIM);
    try (FmnistFeatureNet net = FmnistFeatureNet.builtin()) {
      stats.add(net.features(new ImageBatch(n, 32, 32, 1, pixels)));
    }
    return FrechetDistance.compute(
        stats.toFidStats(), FidStats.read(BuiltinAssets.resolve("builtin:fmnist-test-stats")));
  }
}
