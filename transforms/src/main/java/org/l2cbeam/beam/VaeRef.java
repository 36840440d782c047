package org.l2cbeam.beam;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.io.Serializable;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.l2cbeam.core.image.SampleQuantization;
import org.l2cbeam.core.io.WeightMap;
import org.l2cbeam.core.runtime.ComputeDevice;
import org.l2cbeam.core.runtime.Torch;
import org.l2cbeam.core.vae.AutoencoderKL;
import org.l2cbeam.core.vae.VaeCheckpoint;
import org.l2cbeam.core.vae.VaeConfig;

/**
 * A Stable-Diffusion VAE (AutoencoderKL, either weight layout) that turns latent samples into images: checked when a
 * transform is configured ({@link #resolve}), loaded once per worker JVM ({@link SharedModels}) when first used.
 * Decoding runs outside the sampling time a sample reports, as the original L2C measures its speedups.
 */
final class VaeRef implements Serializable {
  private static final long serialVersionUID = 1L;
  static final String KIND = "vae";

  private final String location;
  private final String fingerprint;
  private final int latentChannels;
  private final int downsampling;

  private VaeRef(String location, String fingerprint, int latentChannels, int downsampling) {
    this.location = location;
    this.fingerprint = fingerprint;
    this.latentChannels = latentChannels;
    this.downsampling = downsampling;
  }

  /** Reads and checks the checkpoint at {@code location} now; errors name {@code option} and the file. */
  static VaeRef resolve(String option, String location) {
    if (location == null || location.isBlank()) {
      throw new IllegalArgumentException(option + ": the VAE location is empty");
    }
    ModelFiles.checkExists(option + " (VAE)", location);
    Path local = ModelFiles.localCopy(location);
    try {
      WeightMap weights = WeightMap.open(local);
      VaeConfig config = VaeCheckpoint.from(weights).config();
      return new VaeRef(location, weights.fingerprint(), config.embedDim(), config.downsamplingFactor());
    } catch (RuntimeException e) {
      throw new IllegalArgumentException(option + ": " + location + " is not a usable VAE: " + e.getMessage(), e);
    }
  }

  public String location() {
    return location;
  }

  public int latentChannels() {
    return latentChannels;
  }

  /** Fails naming {@code option} unless the model's samples are latents this VAE decodes. */
  void checkDecodes(String option, ModelRef model) {
    if (model.inChannels() != latentChannels) {
      throw new IllegalArgumentException(
          option + ": VAE " + location + " decodes " + latentChannels + "-channel latents, but model " + model.uri()
              + " samples " + model.inChannels() + " channels");
    }
  }

  /** The latent samples as images (DiT's uint8 rule), in order; image samples pass through. */
  List<GeneratedSample> decode(List<GeneratedSample> samples) {
    return decode(samples, Torch.defaultDevice());
  }

  /** {@link #decode(List)} with the VAE on {@code device} (one copy per device). */
  List<GeneratedSample> decode(List<GeneratedSample> samples, Device device) {
    List<GeneratedSample> latents = new ArrayList<>();
    for (GeneratedSample s : samples) if (!s.isImage()) latents.add(s);
    if (latents.isEmpty()) return samples;
    GeneratedSample first = latents.get(0);
    int per = first.latent().length;
    float[] all = new float[per * latents.size()];
    for (int i = 0; i < latents.size(); i++) {
      GeneratedSample s = latents.get(i);
      if (s.channels() != latentChannels || s.latent().length != per) {
        throw new IllegalArgumentException(
            "VAE " + location + ": sample " + s.id() + " is a " + s.channels() + "x" + s.height() + "x" + s.width()
                + " latent; this VAE decodes " + latentChannels + "-channel latents of one size per batch");
      }
      System.arraycopy(s.latent(), 0, all, i * per, per);
    }
    AutoencoderKL vae = shared(device);
    long[] shape = {latents.size(), first.channels(), first.height(), first.width()};
    float[] images =
        ModelCallGate.run(1, () -> {
          Torch.inferenceMode();
          try (NDManager m = Torch.newManager(vae.device())) {
            NDArray z = m.create(all, new Shape(shape));
            return vae.decode(z).toFloatArray();
          }
        });
    int h = first.height() * downsampling;
    int w = first.width() * downsampling;
    byte[] nhwc = SampleQuantization.DIT.toNhwc(images, new long[] {latents.size(), 3, h, w});
    List<GeneratedSample> out = new ArrayList<>(samples.size());
    int next = 0;
    int imageBytes = 3 * h * w;
    for (GeneratedSample s : samples) {
      if (s.isImage()) {
        out.add(s);
        continue;
      }
      byte[] hwc = java.util.Arrays.copyOfRange(nhwc, next * imageBytes, (next + 1) * imageBytes);
      next++;
      out.add(GeneratedSample.ofImage(s.request(), 3, h, w, hwc, s.scheduleId(), s.computeMicros()));
    }
    return out;
  }

  private AutoencoderKL shared(Device device) {
    return SharedModels.get(KIND, fingerprint + ComputeDevice.cacheKeySuffix(device), AutoencoderKL.class, () -> {
      Path local = ModelFiles.localCopy(location);
      String loaded = WeightMap.open(local).fingerprint();
      if (!loaded.equals(fingerprint)) {
        throw new IllegalStateException(
            "VAE " + location + " changed since the pipeline was built: fingerprint " + loaded + ", expected "
                + fingerprint);
      }
      return AutoencoderKL.load(local, device);
    });
  }

  @Override
  public String toString() {
    return location;
  }
}
