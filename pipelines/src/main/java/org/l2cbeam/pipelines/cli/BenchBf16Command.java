package org.l2cbeam.pipelines.cli;

import static org.l2cbeam.pipelines.cli.BenchMeasures.round;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import com.google.gson.Gson;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
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
import org.l2cbeam.core.io.WeightMap;
import org.l2cbeam.core.model.DiT;
import org.l2cbeam.core.model.DiTConfig;
import org.l2cbeam.core.model.DiTLoader;
import org.l2cbeam.core.model.Kernels;
import org.l2cbeam.core.model.ModelExecution;
import org.l2cbeam.core.model.Precision;
import org.l2cbeam.core.runtime.Torch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code l2c bench bf16}: what the opt-in bf16 precision costs in quality, measured. (1) The
 * relative error of one DiT-XL/2 forward (random weights, batch 2) in bf16 against fp32 on the same
 * weights and input. (2) FID-FMNIST of the bundled Fashion-MNIST DiT at DDIM-20, CFG 1.5, on the
 * same requests (label i % 10, seed i) in fp32 and in bf16, with how many samples came out
 * byte-identical. Both sides run in this process, fp32 first.
 */
@Command(
    name = "bf16",
    description =
        "bf16 vs fp32: XL forward error and FID-FMNIST on the same requests; last line is JSON.")
final class BenchBf16Command implements Callable<Integer> {
  @Option(
      names = "--samples",
      defaultValue = "1000",
      paramLabel = "N",
      description =
          "Fashion-MNIST samples per precision (a multiple of 10); default ${DEFAULT-VALUE}")
  int samples;

  @Option(
      names = "--steps",
      defaultValue = "20",
      paramLabel = "N",
      description = "DDIM steps; default ${DEFAULT-VALUE}")
  int steps;

  @Option(
      names = "--xl-model",
      defaultValue = "xl",
      paramLabel = "SIZE",
      description =
          "DiT size of the forward-error part (none to skip it); default ${DEFAULT-VALUE}")
  String xlModel;

  @Override
  public Integer call() {
    if (samples < 10 || samples % 10 != 0) {
      throw new IllegalArgumentException(
          "--samples must be a positive multiple of 10, got " + samples);
    }
    if (steps < 2) throw new IllegalArgumentException("--steps must be at least 2, got " + steps);
    Torch.inferenceMode();
    ModelExecution fp32 = ModelExecution.of(Kernels.ONEDNN, Precision.FP32);
    ModelExecution bf16 = ModelExecution.of(Kernels.ONEDNN, Precision.BF16);
    Map<String, Object> json = new LinkedHashMap<>();
    if (!xlModel.equalsIgnoreCase("none"))
      forwardError(BenchDitCommand.config(xlModel, "--xl-model"), fp32, bf16, json);

    String model = "builtin:fmnist-dit";
    WeightMap w = DiTLoader.stateDict(BuiltinAssets.resolve(model).toString());
    DiTConfig cfg = DiTLoader.config(model, w, 0);
    List<SampleRequest> requests = new ArrayList<>();
    for (int i = 0; i < samples; i++) requests.add(SampleRequest.of(i, i % cfg.numClasses, i));
    SamplingSettings settings = SamplingSettings.of("ddim", steps, 1.5, Guidance.Channels.ALL);
    FidStats reference = FidStats.read(BuiltinAssets.resolve("builtin:fmnist-test-stats"));
    byte[][] fp32Images = null;
    double[] fid = new double[2];
    ModelExecution[] executions = {fp32, bf16};
    try (FmnistFeatureNet net = FmnistFeatureNet.builtin()) {
      for (int p = 0; p < 2; p++) {
        try (NDManager manager = Torch.newManager();
            DiT dit = DiT.load(w, cfg, manager, executions[p])) {
          long t0 = System.nanoTime();
          List<GeneratedSample> out =
              new BatchSampler(dit, settings, null, "plain").sample(requests).samples;
          double seconds = (System.nanoTime() - t0) / 1e9;
          byte[][] images = new byte[out.size()][];
          FeatureStats stats = new FeatureStats(net.dim());
          for (int i = 0; i < out.size(); i++) images[i] = out.get(i).image();
          for (int from = 0; from < images.length; from += 100) {
            int n = Math.min(100, images.length - from);
            byte[] px = new byte[n * images[0].length];
            for (int i = 0; i < n; i++)
              System.arraycopy(images[from + i], 0, px, i * images[0].length, images[0].length);
            stats.add(
                net.features(new ImageBatch(n, cfg.inputSize, cfg.inputSize, cfg.inChannels, px)));
          }
          fid[p] = FrechetDistance.compute(stats.toFidStats(), reference);
          System.out.printf(
              Locale.ROOT,
              "FID-FMNIST, %d samples, DDIM-%d, CFG 1.5, %s: %.3f (sampling %.1f s)%n",
              samples,
              steps,
              dit.execution(),
              fid[p],
              seconds);
          json.put("fid_" + executions[p].precision().cliName(), round(fid[p]));
          json.put("sampling_s_" + executions[p].precision().cliName(), round(seconds));
          if (p == 1 && dit.execution().precision() != Precision.BF16) {
            System.out.println(
                "bf16 is unavailable here; the second run fell back to " + dit.execution());
          }
          if (p == 0) {
            fp32Images = images;
          } else {
            int identical = 0;
            double absDiff = 0;
            for (int i = 0; i < images.length; i++) {
              if (java.util.Arrays.equals(images[i], fp32Images[i])) identical++;
              for (int j = 0; j < images[i].length; j++) {
                absDiff += Math.abs((images[i][j] & 0xff) - (fp32Images[i][j] & 0xff));
              }
            }
            double meanAbs = absDiff / ((double) images.length * images[0].length);
            System.out.printf(
                Locale.ROOT,
                "bf16 - fp32: FID %+.3f; %d of %d samples byte-identical; mean |pixel"
                    + " difference| %.3f of 255%n",
                fid[1] - fid[0],
                identical,
                images.length,
                meanAbs);
            json.put("fid_change", round(fid[1] - fid[0]));
            json.put("identical_samples", identical);
            json.put("mean_abs_pixel_diff", round(meanAbs));
          }
        }
      }
    }
    json.put("samples", samples);
    System.out.println(new Gson().toJson(json));
    return 0;
  }

  /**
   * Relative L2 and max-abs/max-ref error of one batch-2 forward in bf16 against fp32 on the same
   * random weights.
   */
  private static void forwardError(
      DiTConfig cfg, ModelExecution fp32, ModelExecution bf16, Map<String, Object> json) {
    float[][] out = new float[2][];
    ModelExecution[] executions = {fp32, bf16};
    for (int p = 0; p < 2; p++) {
      try (NDManager m = Torch.newManager();
          DiT dit = DiT.random(cfg, m, executions[p])) {
        Torch.engine().setRandomSeed(11);
        NDArray x = m.randomNormal(new Shape(2, cfg.inChannels, cfg.inputSize, cfg.inputSize));
        out[p] =
            dit.forward(
                    x, m.create(new long[] {500, 500}), m.create(new long[] {1, cfg.nullClass()}))
                .toFloatArray();
      }
    }
    double num = 0;
    double den = 0;
    double maxErr = 0;
    double maxRef = 0;
    for (int i = 0; i < out[0].length; i++) {
      double d = out[1][i] - out[0][i];
      num += d * d;
      den += (double) out[0][i] * out[0][i];
      maxErr = Math.max(maxErr, Math.abs(d));
      maxRef = Math.max(maxRef, Math.abs(out[0][i]));
    }
    double relL2 = Math.sqrt(num / den);
    System.out.printf(
        Locale.ROOT,
        "%s forward, batch 2, random weights: bf16 vs fp32 relative L2 error %.3g,"
            + " max |error| / max |fp32| %.3g%n",
        cfg.officialName(),
        relL2,
        maxErr / maxRef);
    json.put("forward_rel_l2", round(relL2));
    json.put("forward_max_rel", round(maxErr / maxRef));
  }
}
