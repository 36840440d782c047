package org.l2cbeam.beam;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.io.Serializable;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.checkerframework.checker.nullness.qual.Nullable;
import org.l2cbeam.core.diffusion.SamplingRun;
import org.l2cbeam.core.image.SampleQuantization;
import org.l2cbeam.core.io.WeightMap;
import org.l2cbeam.core.runtime.ComputeDevice;
import org.l2cbeam.core.runtime.Torch;
import org.l2cbeam.core.vae.AutoencoderKL;
import org.l2cbeam.core.vae.VaeCheckpoint;
import org.l2cbeam.core.vae.VaeConfig;

/**
 * A Stable-Diffusion VAE (AutoencoderKL, either weight layout) that turns latent samples into
 * images. A transform keeps only its location until it expands; then, unless told not to validate,
 * it {@link #resolve}s it (reads the checkpoint and checks it is a VAE); otherwise the first worker
 * to decode does. The decoder is loaded once per worker JVM ({@link SharedModels}). Decoding runs
 * outside the sampling time a sample reports, as the original L2C measures its speedups.
 */
final class VaeRef implements Serializable {
  private static final long serialVersionUID = 1L;
  static final String KIND = "vae";

  private final String location;

  /** Null until resolved. */
  private final @Nullable String fingerprint;

  private final int latentChannels;
  private final int downsampling;

  private VaeRef(
      String location, @Nullable String fingerprint, int latentChannels, int downsampling) {
    this.location = location;
    this.fingerprint = fingerprint;
    this.latentChannels = latentChannels;
    this.downsampling = downsampling;
  }

  /**
   * The VAE at {@code location}, not read yet; errors name {@code option} (the setter) if the
   * location is empty.
   */
  static VaeRef at(String option, String location) {
    if (location == null || location.isBlank()) {
      throw new IllegalArgumentException(option + ": the VAE location is empty");
    }
    return new VaeRef(location, null, 0, 0);
  }

  /** True once the checkpoint has been read and checked. */
  boolean isResolved() {
    return fingerprint != null;
  }

  /** Reads and checks the checkpoint now; errors name {@code option} and the file. */
  VaeRef resolve(String option) {
    if (isResolved()) return this;
    ModelFiles.checkExists(option + " (VAE)", location);
    Path local = ModelFiles.localCopy(location);
    try {
      WeightMap weights = WeightMap.open(local);
      VaeConfig config = VaeCheckpoint.from(weights).config();
      return new VaeRef(
          location, weights.fingerprint(), config.embedDim(), config.downsamplingFactor());
    } catch (RuntimeException e) {
      throw new IllegalArgumentException(
          option + ": " + location + " is not a usable VAE: " + e.getMessage(), e);
    }
  }

  /**
   * Reads and checks the checkpoint at {@code location} now; errors name {@code option} and the
   * file.
   */
  static VaeRef resolve(String option, String location) {
    return at(option, location).resolve(option);
  }

  public String location() {
    return location;
  }

  /**
   * Fails naming {@code option} unless the model's samples are latents this (resolved) VAE decodes.
   */
  void checkDecodes(String option, ModelRef model) {
    if (model.inChannels() != latentChannels) {
      throw new IllegalArgumentException(
          option
              + ": VAE "
              + location
              + " decodes "
              + latentChannels
              + "-channel latents, but model "
              + model.uri()
              + " samples "
              + model.inChannels()
              + " channels");
    }
  }

  /**
   * The latent samples as images, rounded to uint8 by {@code rounding} (the model family's rule),
   * in order; image samples pass through. Decodes in the fixed chunks {@link SamplingRun#decode}
   * uses, as {@code l2c sample} does.
   */
  List<GeneratedSample> decode(List<GeneratedSample> samples, SampleQuantization rounding) {
    return decode(samples, rounding, Torch.defaultDevice());
  }

  /**
   * {@link #decode(List, SampleQuantization)} with the VAE on {@code device} (one copy per device).
   */
  List<GeneratedSample> decode(
      List<GeneratedSample> samples, SampleQuantization rounding, Device device) {
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
            "VAE "
                + location
                + ": sample "
                + s.id()
                + " is a "
                + s.channels()
                + "x"
                + s.height()
                + "x"
                + s.width()
                + " latent; this VAE decodes "
                + latentChannels
                + "-channel latents of one size per batch");
      }
      System.arraycopy(s.latent(), 0, all, i * per, per);
    }
    AutoencoderKL vae = shared(device);
    long[] shape = {latents.size(), first.channels(), first.height(), first.width()};
    float[] images =
        ModelCallGate.run(
            1,
            () -> {
              Torch.inferenceMode();
              try (NDManager m = Torch.newManager(vae.device())) {
                return SamplingRun.decode(vae, m.create(all, new Shape(shape))).toFloatArray();
              }
            });
    int h = first.height() * downsampling;
    int w = first.width() * downsampling;
    byte[] nhwc = rounding.toNhwc(images, new long[] {latents.size(), 3, h, w});
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
      out.add(
          GeneratedSample.ofImage(s.request(), 3, h, w, hwc, s.scheduleId(), s.computeMicros()));
    }
    return out;
  }

  private AutoencoderKL shared(Device device) {
    if (!isResolved())
      throw new IllegalStateException("VAE " + location + " was not resolved before decoding");
    return SharedModels.get(
        KIND,
        fingerprint + ComputeDevice.cacheKeySuffix(device),
        AutoencoderKL.class,
        () -> {
          Path local = ModelFiles.localCopy(location);
          String loaded = WeightMap.open(local).fingerprint();
          if (!loaded.equals(fingerprint)) {
            throw new IllegalStateException(
                "VAE "
                    + location
                    + " changed since the pipeline was built: fingerprint "
                    + loaded
                    + ", expected "
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
