package org.l2cbeam.core.fid;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.nn.pooling.Pool;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.l2cbeam.core.assets.BuiltinAssets;
import org.l2cbeam.core.image.ImageBatch;
import org.l2cbeam.core.image.ImageConversions;
import org.l2cbeam.core.io.WeightMap;
import org.l2cbeam.core.runtime.Contiguous;
import org.l2cbeam.core.runtime.SameDevice;
import org.l2cbeam.core.runtime.Torch;

/**
 * The Fashion-MNIST FID feature network ({@code builtin:fmnist-features}): three 3x3 conv + ReLU
 * stages (max pool 2 after the first two), then a global average pool, giving 128-d features; the
 * classifier head {@code fc} is unused. Input: 28x28 grey images as {@code u8/127.5 - 1}; 32x32
 * samples of the Fashion-MNIST DiT are center-cropped to rows and columns 2..29 first.
 */
public final class FmnistFeatureNet implements FeatureExtractor {
  public static final String BUILTIN = "builtin:fmnist-features";
  public static final int DIM = 128;
  public static final int SIZE = 28;

  private final NDManager manager;
  private final NDArray[] weights = new NDArray[3];
  private final NDArray[] biases = new NDArray[3];

  private FmnistFeatureNet(NDManager manager) {
    this.manager = manager;
  }

  /** The bundled network. */
  public static FmnistFeatureNet builtin() {
    return builtin(Torch.defaultDevice());
  }

  public static FmnistFeatureNet builtin(Device device) {
    return load(BuiltinAssets.resolve(BUILTIN), device);
  }

  public static FmnistFeatureNet load(Path file) {
    return load(file, Torch.defaultDevice());
  }

  public static FmnistFeatureNet load(Path file, Device device) {
    return fromWeights(WeightMap.open(file), device);
  }

  public static FmnistFeatureNet fromWeights(WeightMap w) {
    return fromWeights(w, Torch.defaultDevice());
  }

  /**
   * The network with its weights on {@code device}; {@link #features} copies its images there and
   * its features back.
   */
  public static FmnistFeatureNet fromWeights(WeightMap w, Device device) {
    w.checkStrict(expectedShapes());
    NDManager manager = Torch.newManager(device);
    FmnistFeatureNet net = new FmnistFeatureNet(manager);
    for (int i = 0; i < 3; i++) {
      net.weights[i] = w.get("conv" + (i + 1) + ".weight").toNDArray(manager);
      net.biases[i] = w.get("conv" + (i + 1) + ".bias").toNDArray(manager);
    }
    return net;
  }

  public static Map<String, long[]> expectedShapes() {
    Map<String, long[]> m = new LinkedHashMap<>();
    m.put("conv1.weight", new long[] {32, 1, 3, 3});
    m.put("conv1.bias", new long[] {32});
    m.put("conv2.weight", new long[] {64, 32, 3, 3});
    m.put("conv2.bias", new long[] {64});
    m.put("conv3.weight", new long[] {128, 64, 3, 3});
    m.put("conv3.bias", new long[] {128});
    m.put("fc.weight", new long[] {10, 128});
    m.put("fc.bias", new long[] {10});
    return m;
  }

  @Override
  public String name() {
    return "fmnist";
  }

  @Override
  public int dim() {
    return DIM;
  }

  @Override
  public int channels() {
    return 1;
  }

  /**
   * Where the network's weights live; {@link #forward} takes inputs from a manager on this device.
   */
  public Device device() {
    return manager.getDevice();
  }

  @Override
  public float[][] features(ImageBatch images) {
    if (images.channels() != 1) {
      throw new IllegalArgumentException(
          "Fashion-MNIST features need grey images (1 channel), got "
              + images.shapeString()
              + " (NHWC)");
    }
    if (images.height() == 32 && images.width() == 32) {
      images = ImageConversions.centerCrop(images, SIZE);
    }
    if (images.height() != SIZE || images.width() != SIZE) {
      throw new IllegalArgumentException(
          "Fashion-MNIST features need 28x28 images (or 32x32 samples, center-cropped), got "
              + images.shapeString());
    }
    Torch.inferenceMode();
    try (NDManager scope = manager.newSubManager()) {
      NDArray u8 =
          scope.create(
              ByteBuffer.wrap(images.pixels()),
              new Shape(images.count(), 1, SIZE, SIZE),
              DataType.UINT8);
      NDArray x = u8.toType(DataType.FLOAT32, false).div(127.5f).sub(1f);
      return InceptionV3Fid.toRows(forward(x), images.count());
    }
  }

  /** Features [N, 128] of [N, 1, 28, 28] inputs in [-1, 1]. */
  public NDArray forward(NDArray x) {
    SameDevice.check("images", x, device(), "the Fashion-MNIST feature network");
    Torch.inferenceMode();
    for (int i = 0; i < 3; i++) {
      x =
          Conv2d.conv2d(
                  Contiguous.of(x),
                  weights[i],
                  biases[i],
                  new Shape(1, 1),
                  new Shape(1, 1),
                  new Shape(1, 1),
                  1)
              .singletonOrThrow();
      x = Activation.relu(x);
      if (i < 2) {
        x = Pool.maxPool2d(x, new Shape(2, 2), new Shape(2, 2), new Shape(0, 0), false);
      }
    }
    long[] s = x.getShape().getShape();
    return x.reshape(s[0], s[1], -1).mean(new int[] {2});
  }

  @Override
  public void close() {
    manager.close();
  }
}
