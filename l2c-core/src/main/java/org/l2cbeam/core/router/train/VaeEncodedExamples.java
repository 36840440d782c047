package org.l2cbeam.core.router.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.l2cbeam.core.image.AdmCenterCrop;
import org.l2cbeam.core.image.ImageBatch;
import org.l2cbeam.core.image.ImageFolder;
import org.l2cbeam.core.runtime.Torch;
import org.l2cbeam.core.vae.AutoencoderKL;
import org.l2cbeam.core.vae.VaeConfig;

/**
 * Router-training examples made from a folder of real images, prepared the way the original {@code
 * train_router.py} prepares each batch:
 *
 * <ol>
 *   <li>ADM's center crop to the model's resolution, which is latent size × the VAE's downsampling
 *       factor (256 for DiT-XL/2: 32×32 latents, factor 8) ({@link AdmCenterCrop});
 *   <li>a random horizontal flip with probability 0.5 ({@code RandomHorizontalFlip});
 *   <li>{@code ToTensor} and {@code Normalize(0.5, 0.5)}: {@code (u8/255 − 0.5)/0.5}, in [−1, 1];
 *   <li>the VAE posterior sample times 0.18215: {@code
 *       vae.encode(x).latent_dist.sample().mul_(0.18215)}, here {@link AutoencoderKL#encode}, which
 *       applies the scale from its one place.
 * </ol>
 *
 * <p>The images are encoded once, before training, in batches of {@code batchSize}, each batch in
 * its own NDManager. The original encodes inside its training loop, so it draws a new flip and new
 * posterior noise every epoch. Here each image gets one flip and one noise draw, both keyed by
 * (seed, image index) ({@link TrainingRandom}). That keeps the latents a pure function of the
 * folder, the VAE and the seed, whatever the batch size. It also frees the VAE before the diffusion
 * model loads. The latents stay in memory: {@code 4·C·h·w} bytes per image, 16 KB at 256 px.
 */
public final class VaeEncodedExamples extends AbstractTrainingExamples {
  /** torchvision's {@code RandomHorizontalFlip()} default. */
  static final float FLIP_PROBABILITY = 0.5f;

  /** Reports encoding progress: {@code done} of {@code total} images encoded. */
  public interface Progress {
    Progress NONE = (done, total) -> {};

    void encoded(int done, int total);
  }

  private final float[][] latents;
  private final int resolution;
  private final int upscaled;
  private final String fingerprint;

  private VaeEncodedExamples(
      String source,
      int[] shape,
      float[][] latents,
      int[] labels,
      int resolution,
      int upscaled,
      String fingerprint) {
    super(shape, labels, source);
    this.latents = latents;
    this.resolution = resolution;
    this.upscaled = upscaled;
    this.fingerprint = fingerprint;
  }

  /**
   * Encodes every image of {@code images} for a model with inputs {@code modelInput = [C, h, w]}
   * (square latents) and classes {@code 0..numClasses−1}.
   *
   * @param vaeFingerprint identifies the VAE weights (e.g. {@code WeightMap.fingerprint()}); part
   *     of the data fingerprint, so resuming with another VAE is refused
   * @param seed keys each image's flip and posterior noise
   * @param batchSize images encoded together (memory: about 0.4 GB of activations per 256-px image)
   */
  public static VaeEncodedExamples encode(
      ImageFolder images,
      AutoencoderKL vae,
      String vaeFingerprint,
      int[] modelInput,
      int numClasses,
      long seed,
      int batchSize,
      Progress progress) {
    VaeConfig vc = vae.config();
    if (modelInput.length != 3 || modelInput[1] != modelInput[2]) {
      throw new IllegalArgumentException(
          "model input must be [C, h, h] (square latents), got " + Arrays.toString(modelInput));
    }
    if (vc.embedDim() != modelInput[0]) {
      throw new IllegalArgumentException(
          "the VAE encodes images to "
              + vc.embedDim()
              + "-channel latents, but the model takes "
              + modelInput[0]
              + "-channel inputs");
    }
    if (vc.inChannels() != 3) {
      throw new IllegalArgumentException(
          "the VAE takes " + vc.inChannels() + "-channel images; image folders are read as RGB");
    }
    if (images.classes().size() > numClasses) {
      throw new IllegalArgumentException(
          "image folder "
              + images.root()
              + " has "
              + images.classes().size()
              + " class subfolders, but the model"
              + " has "
              + numClasses
              + " classes (labels 0.."
              + (numClasses - 1)
              + ")");
    }
    if (batchSize < 1)
      throw new IllegalArgumentException("encode batch size must be at least 1, got " + batchSize);
    int latentSize = modelInput[1];
    int resolution = latentSize * vc.downsamplingFactor();
    int[] shape = {vc.embedDim(), latentSize, latentSize};
    int latentValues = shape[0] * latentSize * latentSize;
    int n = images.size();
    float[][] latents = new float[n][];
    int[] labels = new int[n];
    int upscaled = 0;
    ContentFingerprint content = new ContentFingerprint();
    content.add(
        ("vae-encoded images v1|vae "
                + vaeFingerprint
                + "|resolution "
                + resolution
                + "|seed "
                + seed
                + "\n")
            .getBytes(StandardCharsets.UTF_8));
    try (NDManager root = Torch.newManager(vae.device())) {
      for (int start = 0; start < n; start += batchSize) {
        int k = Math.min(batchSize, n - start);
        float[] pixels = new float[k * 3 * resolution * resolution];
        float[] noise = new float[k * latentValues];
        for (int i = 0; i < k; i++) {
          int index = start + i;
          ImageBatch image = images.readRgb(index);
          if (Math.min(image.width(), image.height()) < resolution) upscaled++;
          ImageBatch crop = AdmCenterCrop.apply(image, resolution);
          boolean flip = flips(seed, index);
          labels[index] = images.label(index);
          content.add(
              ByteBuffer.allocate(5).putInt(labels[index]).put((byte) (flip ? 1 : 0)).array());
          content.add(crop.pixels());
          toModelInput(crop, flip, pixels, i * 3 * resolution * resolution);
          System.arraycopy(
              posteriorNoise(seed, index, latentValues), 0, noise, i * latentValues, latentValues);
        }
        try (NDManager batch = root.newSubManager()) {
          NDArray x = batch.create(pixels, new Shape(k, 3, resolution, resolution));
          NDArray eps = batch.create(noise, new Shape(k, shape[0], latentSize, latentSize));
          float[] z = vae.encode(x, eps).toFloatArray();
          for (int i = 0; i < k; i++) {
            latents[start + i] = Arrays.copyOfRange(z, i * latentValues, (i + 1) * latentValues);
          }
        }
        progress.encoded(start + k, n);
      }
    }
    String source =
        images.root()
            + " (encoded by the VAE at "
            + resolution
            + "x"
            + resolution
            + ", seed "
            + seed
            + ")";
    return new VaeEncodedExamples(
        source, shape, latents, labels, resolution, upscaled, content.hex());
  }

  /**
   * Whether image {@code index} is flipped: {@code rand < 0.5}, one draw keyed by (seed, index).
   */
  public static boolean flips(long seed, int index) {
    return TrainingRandom.stream(seed, TrainingRandom.Purpose.IMAGE_FLIP, index).nextFloat()
        < FLIP_PROBABILITY;
  }

  /**
   * The standard-normal posterior noise of image {@code index} ({@code values} floats, latent
   * layout).
   */
  public static float[] posteriorNoise(long seed, int index, int values) {
    return TrainingRandom.stream(seed, TrainingRandom.Purpose.POSTERIOR_NOISE, index)
        .gaussians(values);
  }

  /**
   * One cropped HWC uint8 image as the VAE's CHW float input, mirrored left-right when {@code
   * flip}: torchvision's {@code ToTensor} ({@code u8/255}) then {@code Normalize(0.5, 0.5)} ({@code
   * (v − 0.5)/0.5}), in float32 as they do.
   */
  public static void toModelInput(ImageBatch crop, boolean flip, float[] dst, int offset) {
    int h = crop.height();
    int w = crop.width();
    int c = crop.channels();
    for (int ch = 0; ch < c; ch++) {
      for (int y = 0; y < h; y++) {
        for (int x = 0; x < w; x++) {
          float v = crop.get(0, y, flip ? w - 1 - x : x, ch) / 255f;
          dst[offset + (ch * h + y) * w + x] = (v - 0.5f) / 0.5f;
        }
      }
    }
  }

  /** The image side the folder was cropped to: latent size × the VAE's downsampling factor. */
  public int resolution() {
    return resolution;
  }

  /**
   * How many images had a short side below {@link #resolution()} and were scaled up by the crop, as
   * ADM does.
   */
  public int upscaled() {
    return upscaled;
  }

  @Override
  public void copyExample(int index, float[] dst, int offset) {
    System.arraycopy(latents[index], 0, dst, offset, latents[index].length);
  }

  /**
   * SHA-256 over the VAE fingerprint, resolution, seed, and each image's label, flip and cropped
   * pixels.
   */
  @Override
  public String fingerprint() {
    return fingerprint;
  }
}
