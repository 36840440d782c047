package org.l2cbeam.core.router.train;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import org.l2cbeam.core.io.CheckpointFormatException;
import org.l2cbeam.core.io.DType;
import org.l2cbeam.core.io.SafetensorsFile;
import org.l2cbeam.core.io.TensorData;

/**
 * Training examples from a safetensors file holding {@code x} (float latents or images, {@code [N, C, H, W]}, already
 * in the model's input space, e.g. {@code vae.encode(img).sample() * 0.18215}) and {@code y} (integer labels
 * {@code [N]}). {@code x} stays memory-mapped; examples are read on demand.
 */
public final class LatentExamples implements TrainingExamples {
  private final Path file;
  private final TensorData x;
  private final long[] labels;
  private final int[] shape;
  private final String fingerprint;
  private float[] widened;

  private LatentExamples(Path file, TensorData x, long[] labels, int[] shape, String fingerprint) {
    this.file = file;
    this.x = x;
    this.labels = labels;
    this.shape = shape;
    this.fingerprint = fingerprint;
  }

  public static LatentExamples open(Path file) {
    SafetensorsFile.Contents c = SafetensorsFile.read(file);
    TensorData x = c.tensors.get("x");
    TensorData y = c.tensors.get("y");
    if (x == null) {
      throw new CheckpointFormatException(file, "missing tensor x (the inputs, [N, C, H, W]); has " + c.tensors.keySet());
    }
    if (y == null) {
      throw new CheckpointFormatException(file, "missing tensor y (the labels, [N]); has " + c.tensors.keySet());
    }
    long[] xs = x.shape();
    if (xs.length != 4) {
      throw new CheckpointFormatException(file, "tensor x must be [N, C, H, W], got " + java.util.Arrays.toString(xs));
    }
    if (!x.dtype().isFloating()) {
      throw new CheckpointFormatException(file, "tensor x must be floating point, got " + x.dtype());
    }
    if (y.shape().length != 1 || y.shape()[0] != xs[0]) {
      throw new CheckpointFormatException(
          file, "tensor y must be [N] with N = " + xs[0] + " (the rows of x), got " + java.util.Arrays.toString(y.shape()));
    }
    if (y.dtype().isFloating()) {
      throw new CheckpointFormatException(file, "tensor y must hold integer labels, got " + y.dtype());
    }
    int[] shape = {Math.toIntExact(xs[1]), Math.toIntExact(xs[2]), Math.toIntExact(xs[3])};
    return new LatentExamples(file, x, y.toLongArray(), shape, sha256(file));
  }

  static String sha256(Path file) {
    try (InputStream in = Files.newInputStream(file)) {
      MessageDigest md = MessageDigest.getInstance("SHA-256");
      byte[] buf = new byte[1 << 16];
      int r;
      while ((r = in.read(buf)) > 0) md.update(buf, 0, r);
      return HexFormat.of().formatHex(md.digest());
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + file + ": " + e.getMessage(), e);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  @Override
  public int size() {
    return labels.length;
  }

  @Override
  public int[] exampleShape() {
    return shape.clone();
  }

  @Override
  public void copyExample(int index, float[] dst, int offset) {
    int n = shape[0] * shape[1] * shape[2];
    if (x.dtype() == DType.F32) {
      ByteBuffer b = x.bytes();
      b.position(Math.multiplyExact(index, n * 4));
      b.asFloatBuffer().get(dst, offset, n);
    } else {
      System.arraycopy(widened(), index * n, dst, offset, n);
    }
  }

  // F16/BF16/F64 inputs: widened to float once, on first use.
  private synchronized float[] widened() {
    if (widened == null) widened = x.toFloatArray();
    return widened;
  }

  @Override
  public int label(int index) {
    long y = labels[index];
    return y > Integer.MAX_VALUE || y < Integer.MIN_VALUE ? -1 : (int) y;
  }

  @Override
  public String fingerprint() {
    return fingerprint;
  }

  @Override
  public String source() {
    return file.toString();
  }
}
