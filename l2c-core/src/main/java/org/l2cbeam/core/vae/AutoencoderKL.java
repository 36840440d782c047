package org.l2cbeam.core.vae;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.l2cbeam.core.runtime.SameDevice;
import org.l2cbeam.core.runtime.Torch;

/**
 * The Stable-Diffusion VAE (AutoencoderKL, kl-f8), float32, as DiT (diffusers) and U-ViT (LDM) use
 * it.
 *
 * <p>Latents crossing this API are always in <em>diffusion space</em>, exactly what DiT's sampler
 * and U-ViT hand over or receive: {@link #decode} is DiT's {@code vae.decode(latents /
 * 0.18215).sample} and U-ViT's {@code decode(z)}; {@link #encode} is DiT's {@code
 * encode(x).latent_dist.sample().mul_(0.18215)} and U-ViT's {@code encode(x)}. Never divide or
 * multiply by the factor yourself; {@link LatentScale} does it, once.
 *
 * <p>Thread-safe after construction (the weights are read-only). Results are created in the manager
 * of the input array; every layer call runs in its own sub-manager, so memory stays flat over long
 * runs.
 */
public final class AutoencoderKL implements AutoCloseable {
  private final NDManager manager;
  private final VaeConfig config;
  private final String description;
  private final LatentScale scale = LatentScale.STABLE_DIFFUSION;
  private final Encoder encoder;
  private final ConvLayer quantConv;
  private final ConvLayer postQuantConv;
  private final Decoder decoder;

  private AutoencoderKL(VaeParameters params, NDManager manager) {
    this.manager = manager;
    this.config = params.config();
    this.description = params.description();
    encoder = new Encoder(params, manager);
    quantConv = ConvLayer.pointwise(params, "quant_conv", manager);
    postQuantConv = ConvLayer.pointwise(params, "post_quant_conv", manager);
    decoder = new Decoder(params, manager);
  }

  /**
   * Loads a VAE checkpoint in either layout (see {@link VaeCheckpoint}), on the JVM's default
   * device.
   */
  public static AutoencoderKL load(Path file) {
    return load(file, Torch.defaultDevice());
  }

  /**
   * Loads a VAE checkpoint in either layout (see {@link VaeCheckpoint}), weights on {@code device}.
   */
  public static AutoencoderKL load(Path file, Device device) {
    return create(VaeCheckpoint.open(file), device);
  }

  public static AutoencoderKL create(VaeParameters params) {
    return create(params, Torch.defaultDevice());
  }

  public static AutoencoderKL create(VaeParameters params, Device device) {
    Torch.inferenceMode();
    NDManager manager = Torch.newManager(device);
    try {
      return new AutoencoderKL(params, manager);
    } catch (RuntimeException e) {
      manager.close();
      throw e;
    }
  }

  /** Where the weights live; images and latents must come from a manager on this device. */
  public Device device() {
    return manager.getDevice();
  }

  public VaeConfig config() {
    return config;
  }

  public LatentScale scale() {
    return scale;
  }

  /**
   * {@code quant_conv(encoder(x))} as a posterior; images [N, in, H, W] in [-1, 1], H and W
   * multiples of f.
   */
  public DiagonalGaussian encodeMoments(NDArray images) {
    return encodeMoments(images, ActivationProbe.NONE);
  }

  public DiagonalGaussian encodeMoments(NDArray images, ActivationProbe probe) {
    checkImages(images);
    Torch.inferenceMode();
    NDArray moments = CallScope.run(images, x -> quantConv.forward(encoder.forward(x, probe)));
    DiagonalGaussian posterior = DiagonalGaussian.fromMoments(moments);
    moments.close(); // the two halves are views that keep the storage alive
    return posterior;
  }

  /**
   * The diffusion-space latent {@code 0.18215 · (mean + std · noise)} of a posterior (U-ViT's
   * {@code sample}).
   */
  public NDArray latentFrom(DiagonalGaussian posterior, NDArray noise) {
    try (NDArray sample = posterior.sample(noise)) {
      return scale.toDiffusionSpace(sample);
    }
  }

  /** Images → diffusion-space latents with the given posterior noise (same shape as the latent). */
  public NDArray encode(NDArray images, NDArray noise) {
    try (DiagonalGaussian posterior = encodeMoments(images)) {
      return latentFrom(posterior, noise);
    }
  }

  /**
   * Diffusion-space latents [N, embed_dim, h, w] → images [N, out, h·f, w·f], roughly in [-1, 1].
   */
  public NDArray decode(NDArray latent) {
    return decode(latent, ActivationProbe.NONE);
  }

  /**
   * Decodes one latent at a time, whatever the batch: oneDNN and MKL pick their conv and GEMM
   * kernels by the tensor sizes, so the same latent decoded in a batch of 2 and alone differed in
   * 97% of the output floats (by up to 5e-6, measured on the test VAE), and after rounding to uint8
   * now and then in a pixel. An image must not depend on which other latents happened to share a
   * call (Beam batches elements as it likes), and the convs of a 256² decode are large enough at
   * batch 1 that nothing is lost.
   */
  public NDArray decode(NDArray latent, ActivationProbe probe) {
    checkLatent(latent);
    Torch.inferenceMode();
    long n = latent.getShape().get(0);
    if (n == 1) return decodeOne(latent, probe);
    return CallScope.run(
        latent,
        z -> {
          // The probe sees each activation once, for the whole batch, as with a batched call.
          Map<String, NDList> activations = new LinkedHashMap<>();
          ActivationProbe perLatent =
              probe == ActivationProbe.NONE
                  ? probe
                  : (name, a) -> {
                    NDArray copy = a.duplicate();
                    copy.attach(z.getManager());
                    activations.computeIfAbsent(name, k -> new NDList()).add(copy);
                  };
          NDList images = new NDList();
          for (long i = 0; i < n; i++)
            images.add(decodeOne(z.get(new NDIndex(i + ":" + (i + 1))), perLatent));
          activations.forEach((name, parts) -> probe.record(name, NDArrays.concat(parts, 0)));
          return NDArrays.concat(images, 0);
        });
  }

  private NDArray decodeOne(NDArray latent, ActivationProbe probe) {
    return CallScope.run(
        latent,
        z -> {
          NDArray h;
          try (NDArray vaeSpace = scale.toVaeSpace(z)) {
            h = postQuantConv.forward(vaeSpace);
          }
          probe.record("dec.post_quant", h);
          return decoder.forward(h, probe);
        });
  }

  private void checkImages(NDArray images) {
    SameDevice.check("images", images, device(), "VAE " + description);
    long[] s = images.getShape().getShape();
    int f = config.downsamplingFactor();
    if (s.length != 4 || s[1] != config.inChannels()) {
      throw new IllegalArgumentException(
          "images must be [N, "
              + config.inChannels()
              + ", H, W] for VAE "
              + description
              + ", got "
              + images.getShape());
    }
    if (s[2] == 0 || s[3] == 0 || s[2] % f != 0 || s[3] % f != 0) {
      throw new IllegalArgumentException(
          "image size "
              + s[2]
              + "x"
              + s[3]
              + " (H x W) is not divisible by the downsampling factor "
              + f
              + " of VAE "
              + description
              + " ("
              + config.levels()
              + " levels)");
    }
  }

  private void checkLatent(NDArray latent) {
    SameDevice.check("latent", latent, device(), "VAE " + description);
    long[] s = latent.getShape().getShape();
    if (s.length != 4) {
      throw new IllegalArgumentException(
          "latent must be [N, "
              + config.embedDim()
              + ", h, w] for VAE "
              + description
              + ", got "
              + latent.getShape());
    }
    if (s[1] != config.embedDim()) {
      throw new IllegalArgumentException(
          "latent has "
              + s[1]
              + " channels but VAE "
              + description
              + " expects "
              + config.embedDim()
              + " (embed_dim); got shape "
              + latent.getShape());
    }
  }

  @Override
  public void close() {
    manager.close();
  }
}
