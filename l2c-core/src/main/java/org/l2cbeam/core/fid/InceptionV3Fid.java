package org.l2cbeam.core.fid;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.nn.norm.BatchNorm;
import ai.djl.nn.pooling.Pool;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.l2cbeam.core.image.ImageBatch;
import org.l2cbeam.core.io.TensorData;
import org.l2cbeam.core.io.WeightMap;
import org.l2cbeam.core.runtime.Contiguous;
import org.l2cbeam.core.runtime.SameDevice;
import org.l2cbeam.core.runtime.Torch;

/**
 * pytorch-fid's FID Inception-v3 ({@code pytorch_fid.inception.InceptionV3([3])}): the TF
 * 2015-12-05 Inception graph ported to PyTorch, with its {@code FIDInceptionA/C/E_1/E_2} quirks
 * (average pools that do not count padding, and a max pool in the last block), returning the 2048-d
 * pool3 features.
 *
 * <p>Input: float images in [0, 1], NCHW, any size; they are resized to 299x299 (bilinear,
 * align_corners=False, as {@code F.interpolate}) and scaled to [-1, 1]. 8-bit images go through
 * {@link #features(ImageBatch)} ({@code u8/255}, pytorch-fid's {@code ToTensor}).
 *
 * <p>Weights: the user's {@code pt_inception-2015-12-05-6726825d.pth} (torchvision {@code
 * Inception3} names such as {@code Mixed_5b.branch1x1.conv.weight}; {@code fc.*} is ignored), or a
 * state dict of {@code InceptionV3} itself ({@code blocks.2.0.branch1x1.conv.weight}). Batch norm
 * runs in eval mode (eps 0.001).
 */
public final class InceptionV3Fid implements FeatureExtractor {
  public static final int DIM = 2048;
  public static final int INPUT_SIZE = 299;
  private static final double BN_EPS = 1e-3;

  /** torchvision module names -> InceptionV3 block names, in forward order. */
  private static final String[][] MODULES = {
    {"Conv2d_1a_3x3", "blocks.0.0"},
    {"Conv2d_2a_3x3", "blocks.0.1"},
    {"Conv2d_2b_3x3", "blocks.0.2"},
    {"Conv2d_3b_1x1", "blocks.1.0"},
    {"Conv2d_4a_3x3", "blocks.1.1"},
    {"Mixed_5b", "blocks.2.0"},
    {"Mixed_5c", "blocks.2.1"},
    {"Mixed_5d", "blocks.2.2"},
    {"Mixed_6a", "blocks.2.3"},
    {"Mixed_6b", "blocks.2.4"},
    {"Mixed_6c", "blocks.2.5"},
    {"Mixed_6d", "blocks.2.6"},
    {"Mixed_6e", "blocks.2.7"},
    {"Mixed_7a", "blocks.3.0"},
    {"Mixed_7b", "blocks.3.1"},
    {"Mixed_7c", "blocks.3.2"},
  };

  private final NDManager manager;
  private final Map<String, ConvBn> convs = new LinkedHashMap<>();

  private InceptionV3Fid(NDManager manager) {
    this.manager = manager;
  }

  /**
   * Loads a {@code .pth}/{@code .pt}/{@code .safetensors} state dict (torchvision or InceptionV3
   * names), on the JVM's default device.
   */
  public static InceptionV3Fid load(Path weights) {
    return load(weights, Torch.defaultDevice());
  }

  /** {@link #load(Path)} with the network on {@code device}. */
  public static InceptionV3Fid load(Path weights, Device device) {
    return fromWeights(WeightMap.open(weights), device);
  }

  /**
   * The deterministic random network of the reference vectors (manifest {@code
   * fid.inception.weight_rules}).
   */
  public static InceptionV3Fid withHashWeights(long seed) {
    return withHashWeights(seed, Torch.defaultDevice());
  }

  public static InceptionV3Fid withHashWeights(long seed, Device device) {
    return fromTensors(hashWeights(seed), null, device);
  }

  public static InceptionV3Fid fromWeights(WeightMap weights) {
    return fromWeights(weights, Torch.defaultDevice());
  }

  public static InceptionV3Fid fromWeights(WeightMap weights, Device device) {
    Map<String, TensorData> canonical = new LinkedHashMap<>();
    boolean torchvision = weights.contains("Conv2d_1a_3x3.conv.weight");
    for (String name : weights.names()) {
      String mapped = name;
      if (torchvision) {
        mapped = null;
        for (String[] m : MODULES) {
          if (name.startsWith(m[0] + ".")) mapped = m[1] + name.substring(m[0].length());
        }
        if (mapped == null)
          continue; // fc.*, AuxLogits.*: the classifier is not part of the FID network
      }
      canonical.put(mapped, weights.get(name));
    }
    new WeightMap(weights.source(), canonical, Map.of()).checkStrict(expectedShapes());
    return fromTensors(canonical, weights.source(), device);
  }

  private static InceptionV3Fid fromTensors(
      Map<String, TensorData> tensors, Path source, Device device) {
    if (source == null) {
      new WeightMap(Path.of("hash-weights"), tensors, Map.of()).checkStrict(expectedShapes());
    }
    NDManager manager = Torch.newManager(device);
    InceptionV3Fid net = new InceptionV3Fid(manager);
    try {
      for (ConvSpec spec : convSpecs().values()) {
        net.convs.put(spec.name, ConvBn.fold(spec, tensors, manager));
      }
    } catch (RuntimeException e) {
      manager.close();
      throw e;
    }
    return net;
  }

  /**
   * Where the network's weights live; {@link #features} copies its images there and its features
   * back.
   */
  public Device device() {
    return manager.getDevice();
  }

  @Override
  public String name() {
    return "inception";
  }

  @Override
  public int dim() {
    return DIM;
  }

  @Override
  public int channels() {
    return 3;
  }

  @Override
  public float[][] features(ImageBatch images) {
    if (images.channels() != 3) {
      throw new IllegalArgumentException(
          "Inception FID features need RGB images (3 channels), got "
              + images.shapeString()
              + " (NHWC)");
    }
    Torch.inferenceMode();
    try (NDManager scope = manager.newSubManager()) {
      NDArray u8 =
          scope.create(
              java.nio.ByteBuffer.wrap(images.pixels()),
              new Shape(images.count(), images.height(), images.width(), 3),
              DataType.UINT8);
      NDArray x = Contiguous.of(u8.toType(DataType.FLOAT32, false).div(255f).transpose(0, 3, 1, 2));
      return toRows(forward(x), images.count());
    }
  }

  /**
   * pool3 features [N, 2048] of float images in [0, 1], NCHW; intermediates live in {@code x}'s
   * manager.
   */
  public NDArray forward(NDArray x) {
    SameDevice.check("images", x, device(), "the Inception FID network");
    Torch.inferenceMode();
    long[] s = x.getShape().getShape();
    if (s.length != 4 || s[1] != 3) {
      throw new IllegalArgumentException(
          "Inception input must be [N, 3, H, W], got " + x.getShape());
    }
    boolean resized = s[2] != INPUT_SIZE || s[3] != INPUT_SIZE;
    if (resized) {
      x =
          x.getNDArrayInternal()
              .interpolation(new long[] {INPUT_SIZE, INPUT_SIZE}, 1 /* bilinear */, false);
    }
    x = stage(x, resized, t -> t.mul(2f).sub(1f));
    // block 0
    x =
        stage(
            x,
            true,
            t -> maxPool(conv("blocks.0.2", conv("blocks.0.1", conv("blocks.0.0", t))), 3, 2, 0));
    // block 1
    x = stage(x, true, t -> maxPool(conv("blocks.1.1", conv("blocks.1.0", t)), 3, 2, 0));
    // block 2: Mixed_5b..5d (FIDInceptionA), 6a (InceptionB), 6b..6e (FIDInceptionC)
    x = stage(x, true, t -> inceptionA("blocks.2.0", t));
    x = stage(x, true, t -> inceptionA("blocks.2.1", t));
    x = stage(x, true, t -> inceptionA("blocks.2.2", t));
    x = stage(x, true, t -> inceptionB("blocks.2.3", t));
    for (int i = 4; i <= 7; i++) {
      String name = "blocks.2." + i;
      x = stage(x, true, t -> inceptionC(name, t));
    }
    // block 3: Mixed_7a (InceptionD), 7b (FIDInceptionE_1), 7c (FIDInceptionE_2), adaptive average
    // pool
    x = stage(x, true, t -> inceptionD("blocks.3.0", t));
    x = stage(x, true, t -> inceptionE("blocks.3.1", t, false));
    x = stage(x, true, t -> inceptionE("blocks.3.2", t, true));
    return stage(
        x,
        true,
        t -> {
          long[] shape = t.getShape().getShape();
          return t.reshape(shape[0], shape[1], -1).mean(new int[] {2}); // AdaptiveAvgPool2d((1, 1))
        });
  }

  /**
   * Runs one stage with its intermediates in a sub-manager that is closed right after, keeping only
   * the stage's output (in {@code x}'s manager), so peak memory is one stage's activations rather
   * than the whole network's. {@code freeInput} closes {@code x} too (never the caller's own
   * input).
   */
  private static NDArray stage(
      NDArray x, boolean freeInput, java.util.function.UnaryOperator<NDArray> body) {
    NDManager parent = x.getManager();
    NDArray out;
    try (NDManager scope = parent.newSubManager()) {
      x.tempAttach(scope);
      out = body.apply(x);
      out.attach(parent);
    }
    if (freeInput) {
      x.close();
    }
    return out;
  }

  private NDArray inceptionA(String p, NDArray x) {
    NDArray b1 = conv(p + ".branch1x1", x);
    NDArray b5 = conv(p + ".branch5x5_2", conv(p + ".branch5x5_1", x));
    NDArray b3 =
        conv(p + ".branch3x3dbl_3", conv(p + ".branch3x3dbl_2", conv(p + ".branch3x3dbl_1", x)));
    // FID patch: TF's average pool ignores the zero padding
    NDArray pool = conv(p + ".branch_pool", avgPoolExcludingPad(x));
    return NDArrays.concat(new NDList(b1, b5, b3, pool), 1);
  }

  private NDArray inceptionB(String p, NDArray x) {
    NDArray b3 = conv(p + ".branch3x3", x);
    NDArray b3d =
        conv(p + ".branch3x3dbl_3", conv(p + ".branch3x3dbl_2", conv(p + ".branch3x3dbl_1", x)));
    NDArray pool = maxPool(x, 3, 2, 0);
    return NDArrays.concat(new NDList(b3, b3d, pool), 1);
  }

  private NDArray inceptionC(String p, NDArray x) {
    NDArray b1 = conv(p + ".branch1x1", x);
    NDArray b7 = conv(p + ".branch7x7_3", conv(p + ".branch7x7_2", conv(p + ".branch7x7_1", x)));
    NDArray b7d = conv(p + ".branch7x7dbl_1", x);
    for (int i = 2; i <= 5; i++) b7d = conv(p + ".branch7x7dbl_" + i, b7d);
    NDArray pool = conv(p + ".branch_pool", avgPoolExcludingPad(x));
    return NDArrays.concat(new NDList(b1, b7, b7d, pool), 1);
  }

  private NDArray inceptionD(String p, NDArray x) {
    NDArray b3 = conv(p + ".branch3x3_2", conv(p + ".branch3x3_1", x));
    NDArray b7 = conv(p + ".branch7x7x3_1", x);
    for (int i = 2; i <= 4; i++) b7 = conv(p + ".branch7x7x3_" + i, b7);
    NDArray pool = maxPool(x, 3, 2, 0);
    return NDArrays.concat(new NDList(b3, b7, pool), 1);
  }

  /**
   * FIDInceptionE_1 ({@code maxPoolBranch} false) and FIDInceptionE_2 (true: the FID graph's max
   * pool).
   */
  private NDArray inceptionE(String p, NDArray x, boolean maxPoolBranch) {
    NDArray b1 = conv(p + ".branch1x1", x);
    NDArray b3 = conv(p + ".branch3x3_1", x);
    b3 =
        NDArrays.concat(
            new NDList(conv(p + ".branch3x3_2a", b3), conv(p + ".branch3x3_2b", b3)), 1);
    NDArray b3d = conv(p + ".branch3x3dbl_2", conv(p + ".branch3x3dbl_1", x));
    b3d =
        NDArrays.concat(
            new NDList(conv(p + ".branch3x3dbl_3a", b3d), conv(p + ".branch3x3dbl_3b", b3d)), 1);
    NDArray pooled = maxPoolBranch ? maxPool(x, 3, 1, 1) : avgPoolExcludingPad(x);
    NDArray pool = conv(p + ".branch_pool", pooled);
    return NDArrays.concat(new NDList(b1, b3, b3d, pool), 1);
  }

  private NDArray conv(String name, NDArray x) {
    return convs.get(name).forward(x);
  }

  private static NDArray maxPool(NDArray x, int kernel, int stride, int pad) {
    return Pool.maxPool2d(
        x, new Shape(kernel, kernel), new Shape(stride, stride), new Shape(pad, pad), false);
  }

  /**
   * {@code F.avg_pool2d(x, 3, stride=1, padding=1, count_include_pad=False)}. DJL 0.36's avgPool2d
   * ignores its countIncludePad flag (it always divides by 9), so the padded average is rescaled by
   * 9 / (window cells inside the image): 9/4 at corners, 9/6 on edges, 1 inside, all exact in
   * float32.
   */
  private static NDArray avgPoolExcludingPad(NDArray x) {
    long[] s = x.getShape().getShape();
    int h = Math.toIntExact(s[2]);
    int w = Math.toIntExact(s[3]);
    float[] factor = new float[h * w];
    for (int y = 0; y < h; y++) {
      int rows = 3 - (y == 0 ? 1 : 0) - (y == h - 1 ? 1 : 0);
      for (int c = 0; c < w; c++) {
        int cols = 3 - (c == 0 ? 1 : 0) - (c == w - 1 ? 1 : 0);
        factor[y * w + c] = 9f / (rows * cols);
      }
    }
    NDArray padded =
        Pool.avgPool2d(x, new Shape(3, 3), new Shape(1, 1), new Shape(1, 1), false, true);
    return padded.mul(x.getManager().create(factor, new Shape(1, 1, h, w)));
  }

  static float[][] toRows(NDArray features, int n) {
    float[] flat = features.toFloatArray();
    int d = flat.length / Math.max(n, 1);
    float[][] rows = new float[n][d];
    for (int i = 0; i < n; i++) System.arraycopy(flat, i * d, rows[i], 0, d);
    return rows;
  }

  @Override
  public void close() {
    manager.close();
  }

  // ---- architecture table
  // -------------------------------------------------------------------------------------

  /** One BasicConv2d: conv (no bias) + batch norm + ReLU. */
  static final class ConvSpec {
    final String name;
    final int in;
    final int out;
    final int kh;
    final int kw;
    final int stride;
    final int padH;
    final int padW;

    ConvSpec(String name, int in, int out, int kh, int kw, int stride, int padH, int padW) {
      this.name = name;
      this.in = in;
      this.out = out;
      this.kh = kh;
      this.kw = kw;
      this.stride = stride;
      this.padH = padH;
      this.padW = padW;
    }
  }

  static Map<String, ConvSpec> convSpecs() {
    Map<String, ConvSpec> m = new LinkedHashMap<>();
    add(m, "blocks.0.0", 3, 32, 3, 3, 2, 0, 0);
    add(m, "blocks.0.1", 32, 32, 3, 3, 1, 0, 0);
    add(m, "blocks.0.2", 32, 64, 3, 3, 1, 1, 1);
    add(m, "blocks.1.0", 64, 80, 1, 1, 1, 0, 0);
    add(m, "blocks.1.1", 80, 192, 3, 3, 1, 0, 0);
    specA(m, "blocks.2.0", 192, 32);
    specA(m, "blocks.2.1", 256, 64);
    specA(m, "blocks.2.2", 288, 64);
    String b = "blocks.2.3";
    add(m, b + ".branch3x3", 288, 384, 3, 3, 2, 0, 0);
    add(m, b + ".branch3x3dbl_1", 288, 64, 1, 1, 1, 0, 0);
    add(m, b + ".branch3x3dbl_2", 64, 96, 3, 3, 1, 1, 1);
    add(m, b + ".branch3x3dbl_3", 96, 96, 3, 3, 2, 0, 0);
    specC(m, "blocks.2.4", 128);
    specC(m, "blocks.2.5", 160);
    specC(m, "blocks.2.6", 160);
    specC(m, "blocks.2.7", 192);
    String d = "blocks.3.0";
    add(m, d + ".branch3x3_1", 768, 192, 1, 1, 1, 0, 0);
    add(m, d + ".branch3x3_2", 192, 320, 3, 3, 2, 0, 0);
    add(m, d + ".branch7x7x3_1", 768, 192, 1, 1, 1, 0, 0);
    add(m, d + ".branch7x7x3_2", 192, 192, 1, 7, 1, 0, 3);
    add(m, d + ".branch7x7x3_3", 192, 192, 7, 1, 1, 3, 0);
    add(m, d + ".branch7x7x3_4", 192, 192, 3, 3, 2, 0, 0);
    specE(m, "blocks.3.1", 1280);
    specE(m, "blocks.3.2", 2048);
    return m;
  }

  private static void specA(Map<String, ConvSpec> m, String p, int in, int poolFeatures) {
    add(m, p + ".branch1x1", in, 64, 1, 1, 1, 0, 0);
    add(m, p + ".branch5x5_1", in, 48, 1, 1, 1, 0, 0);
    add(m, p + ".branch5x5_2", 48, 64, 5, 5, 1, 2, 2);
    add(m, p + ".branch3x3dbl_1", in, 64, 1, 1, 1, 0, 0);
    add(m, p + ".branch3x3dbl_2", 64, 96, 3, 3, 1, 1, 1);
    add(m, p + ".branch3x3dbl_3", 96, 96, 3, 3, 1, 1, 1);
    add(m, p + ".branch_pool", in, poolFeatures, 1, 1, 1, 0, 0);
  }

  private static void specC(Map<String, ConvSpec> m, String p, int c7) {
    add(m, p + ".branch1x1", 768, 192, 1, 1, 1, 0, 0);
    add(m, p + ".branch7x7_1", 768, c7, 1, 1, 1, 0, 0);
    add(m, p + ".branch7x7_2", c7, c7, 1, 7, 1, 0, 3);
    add(m, p + ".branch7x7_3", c7, 192, 7, 1, 1, 3, 0);
    add(m, p + ".branch7x7dbl_1", 768, c7, 1, 1, 1, 0, 0);
    add(m, p + ".branch7x7dbl_2", c7, c7, 7, 1, 1, 3, 0);
    add(m, p + ".branch7x7dbl_3", c7, c7, 1, 7, 1, 0, 3);
    add(m, p + ".branch7x7dbl_4", c7, c7, 7, 1, 1, 3, 0);
    add(m, p + ".branch7x7dbl_5", c7, 192, 1, 7, 1, 0, 3);
    add(m, p + ".branch_pool", 768, 192, 1, 1, 1, 0, 0);
  }

  private static void specE(Map<String, ConvSpec> m, String p, int in) {
    add(m, p + ".branch1x1", in, 320, 1, 1, 1, 0, 0);
    add(m, p + ".branch3x3_1", in, 384, 1, 1, 1, 0, 0);
    add(m, p + ".branch3x3_2a", 384, 384, 1, 3, 1, 0, 1);
    add(m, p + ".branch3x3_2b", 384, 384, 3, 1, 1, 1, 0);
    add(m, p + ".branch3x3dbl_1", in, 448, 1, 1, 1, 0, 0);
    add(m, p + ".branch3x3dbl_2", 448, 384, 3, 3, 1, 1, 1);
    add(m, p + ".branch3x3dbl_3a", 384, 384, 1, 3, 1, 0, 1);
    add(m, p + ".branch3x3dbl_3b", 384, 384, 3, 1, 1, 1, 0);
    add(m, p + ".branch_pool", in, 192, 1, 1, 1, 0, 0);
  }

  private static void add(
      Map<String, ConvSpec> m,
      String name,
      int in,
      int out,
      int kh,
      int kw,
      int stride,
      int padH,
      int padW) {
    m.put(name, new ConvSpec(name, in, out, kh, kw, stride, padH, padW));
  }

  /**
   * Every state-dict entry of {@code InceptionV3([3])} with its shape, as {@code
   * load_state_dict(strict=True)}.
   */
  public static Map<String, long[]> expectedShapes() {
    Map<String, long[]> shapes = new LinkedHashMap<>();
    for (ConvSpec s : convSpecs().values()) {
      shapes.put(s.name + ".conv.weight", new long[] {s.out, s.in, s.kh, s.kw});
      for (String bn : new String[] {"weight", "bias", "running_mean", "running_var"}) {
        shapes.put(s.name + ".bn." + bn, new long[] {s.out});
      }
      shapes.put(s.name + ".bn.num_batches_tracked", new long[] {});
    }
    return shapes;
  }

  /**
   * The manifest's deterministic weights: {@code u = HashUniform(name, seed)}; conv weights {@code
   * u*sqrt(6/fan_in)}, bn weight {@code 1+0.1u}, bias and running mean {@code 0.1u}, running var
   * {@code 1+0.25u}; float64, then float32.
   */
  public static Map<String, TensorData> hashWeights(long seed) {
    Map<String, TensorData> out = new LinkedHashMap<>();
    for (Map.Entry<String, long[]> e : expectedShapes().entrySet()) {
      String name = e.getKey();
      long[] shape = e.getValue();
      if (name.endsWith("num_batches_tracked")) {
        out.put(name, TensorData.ofLongs(shape, new long[] {0}));
        continue;
      }
      int n = Math.toIntExact(TensorData.numel(shape));
      double[] u = HashUniform.values(name, seed, n);
      float[] v = new float[n];
      if (name.endsWith(".conv.weight")) {
        double scale = Math.sqrt(6.0 / (shape[1] * shape[2] * shape[3]));
        for (int i = 0; i < n; i++) v[i] = (float) (u[i] * scale);
      } else if (name.endsWith(".bn.weight")) {
        for (int i = 0; i < n; i++) v[i] = (float) (1 + 0.1 * u[i]);
      } else if (name.endsWith(".bn.running_var")) {
        for (int i = 0; i < n; i++) v[i] = (float) (1 + 0.25 * u[i]);
      } else {
        for (int i = 0; i < n; i++) v[i] = (float) (0.1 * u[i]);
      }
      out.put(name, TensorData.ofFloats(shape, v));
    }
    return out;
  }

  /**
   * A BasicConv2d: bias-free conv, eval-mode batch norm (eps 0.001), ReLU. The norm is libtorch's
   * own {@code batch_norm}, the very op sequence pytorch-fid runs, rather than folded into the
   * weights, which would round differently.
   */
  static final class ConvBn {
    private final NDArray weight;
    private final NDArray gamma;
    private final NDArray beta;
    private final NDArray mean;
    private final NDArray var;
    private final Shape stride;
    private final Shape padding;

    private ConvBn(
        NDArray weight,
        NDArray gamma,
        NDArray beta,
        NDArray mean,
        NDArray var,
        Shape stride,
        Shape padding) {
      this.weight = weight;
      this.gamma = gamma;
      this.beta = beta;
      this.mean = mean;
      this.var = var;
      this.stride = stride;
      this.padding = padding;
    }

    static ConvBn fold(ConvSpec s, Map<String, TensorData> t, NDManager manager) {
      NDArray weight =
          manager.create(
              t.get(s.name + ".conv.weight").toFloatArray(), new Shape(s.out, s.in, s.kh, s.kw));
      NDArray gamma = manager.create(t.get(s.name + ".bn.weight").toFloatArray());
      NDArray beta = manager.create(t.get(s.name + ".bn.bias").toFloatArray());
      NDArray mean = manager.create(t.get(s.name + ".bn.running_mean").toFloatArray());
      NDArray var = manager.create(t.get(s.name + ".bn.running_var").toFloatArray());
      return new ConvBn(
          weight, gamma, beta, mean, var, new Shape(s.stride, s.stride), new Shape(s.padH, s.padW));
    }

    NDArray forward(NDArray x) {
      NDArray y =
          Conv2d.conv2d(Contiguous.of(x), weight, null, stride, padding, new Shape(1, 1), 1)
              .singletonOrThrow();
      y =
          BatchNorm.batchNorm(y, mean, var, gamma, beta, 1, 0.1f, (float) BN_EPS, false)
              .singletonOrThrow();
      return Activation.relu(y);
    }
  }
}
