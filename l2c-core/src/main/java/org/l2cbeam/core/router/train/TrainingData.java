package org.l2cbeam.core.router.train;

import java.nio.file.Files;
import java.nio.file.Path;
import org.l2cbeam.core.data.FashionMnist;
import org.l2cbeam.core.image.ImageBatch;
import org.l2cbeam.core.image.ImageFolder;
import org.l2cbeam.core.io.CheckpointFormatException;
import org.l2cbeam.core.model.DiTConfig;

/**
 * Opens {@code --data} for router training and brings it to the model's input as its model card
 * says:
 *
 * <ul>
 *   <li>a directory of (Fashion-)MNIST IDX files: the train split, {@code u8/127.5 - 1}, and, for a
 *       32x32 model fed 28x28 images (the bundled Fashion-MNIST DiT), padded 2 pixels each side
 *       with the background -1;
 *   <li>a {@code .safetensors} file with {@code x [N, C, H, W]} already in the model's input space
 *       (VAE latents times 0.18215 for an ImageNet DiT) and {@code y [N]}.
 * </ul>
 *
 * The result is then checked against the model: non-empty, input shape, labels in range (errors
 * name the data). A folder of image files (PNG, JPEG, ...) is refused here: it becomes training
 * data only through a VAE ({@link VaeEncodedExamples}).
 */
public final class TrainingData {
  /** Fashion-MNIST's image side and the bundled model's input side. */
  private static final int MNIST_SIDE = 28;

  private static final int PADDED_SIDE = 32;

  private TrainingData() {}

  public static TrainingExamples open(Path data, DiTConfig model) {
    return open(data, model.inChannels, model.inputSize, model.numClasses);
  }

  /**
   * Examples for a model with {@code channels × size × size} inputs and classes {@code
   * 0..numClasses−1}.
   */
  public static TrainingExamples open(Path data, int channels, int size, int numClasses) {
    TrainingExamples examples;
    if (Files.isDirectory(data)) {
      if (!hasIdxTrainImages(data) && ImageFolder.holdsImages(data)) {
        throw new IllegalArgumentException(
            "--data "
                + data
                + " is a folder of image files, but the model takes "
                + channels
                + "x"
                + size
                + "x"
                + size
                + " inputs: pass --vae VAE to encode the images into the model's latents (image folders are"
                + " read only through a VAE)");
      }
      FashionMnist set = FashionMnist.open(data);
      ImageBatch images = set.images(FashionMnist.Split.TRAIN);
      byte[] labels = set.labels(FashionMnist.Split.TRAIN);
      int pad =
          images.height() == MNIST_SIDE && images.width() == MNIST_SIDE && size == PADDED_SIDE
              ? (PADDED_SIDE - MNIST_SIDE) / 2
              : 0;
      examples = new PixelExamples(images, labels, pad, data.toString());
    } else if (data.getFileName().toString().endsWith(".safetensors")) {
      examples = LatentExamples.open(data);
    } else if (!Files.exists(data)) {
      throw new IllegalArgumentException("--data " + data + " does not exist");
    } else {
      throw new CheckpointFormatException(
          data,
          "--data must be a directory of (Fashion-)MNIST IDX files or a .safetensors file with x [N,C,H,W] and y [N]");
    }
    examples.checkFitsModel(channels, size, size, numClasses);
    return examples;
  }

  private static boolean hasIdxTrainImages(Path dir) {
    String name = FashionMnist.Split.TRAIN.prefix() + "-images-idx3-ubyte";
    return Files.isRegularFile(dir.resolve(name)) || Files.isRegularFile(dir.resolve(name + ".gz"));
  }
}
