package org.l2cbeam.core.fid;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import org.l2cbeam.core.io.CheckpointFormatException;
import org.l2cbeam.core.io.NpzFile;
import org.l2cbeam.core.io.TensorData;

/**
 * The Gaussian summary FID compares: the mean {@code mu} [d] and covariance {@code sigma} [d, d]
 * (row-major), both float64. Stored as pytorch-fid stores them: an {@code .npz} with arrays {@code
 * mu} and {@code sigma}. ADM's reference batches (e.g. {@code VIRTUAL_imagenet256_labeled.npz})
 * carry the same two arrays next to their images.
 */
public final class FidStats {
  private final double[] mu;
  private final double[] sigma;

  public FidStats(double[] mu, double[] sigma) {
    if ((long) mu.length * mu.length != sigma.length) {
      throw new IllegalArgumentException(
          "sigma has "
              + sigma.length
              + " values, a "
              + mu.length
              + "-d mean needs a "
              + mu.length
              + "x"
              + mu.length
              + " covariance");
    }
    this.mu = mu.clone();
    this.sigma = sigma.clone();
  }

  public int dim() {
    return mu.length;
  }

  public double[] mu() {
    return mu.clone();
  }

  /** Row-major d x d. */
  public double[] sigma() {
    return sigma.clone();
  }

  double[] muView() {
    return mu;
  }

  double[] sigmaView() {
    return sigma;
  }

  /**
   * True if {@code file} is an npz holding {@code mu} and {@code sigma} (a stats file rather than
   * images).
   */
  public static boolean isStatsFile(Path file) {
    try (NpzFile npz = NpzFile.open(file)) {
      return npz.contains("mu") && npz.contains("sigma");
    }
  }

  /**
   * Reads {@code mu} and {@code sigma} from a stats npz (pytorch-fid's, ADM's reference batch, or
   * ours).
   */
  public static FidStats read(Path file) {
    try (NpzFile npz = NpzFile.open(file)) {
      if (!npz.contains("mu") || !npz.contains("sigma")) {
        throw new CheckpointFormatException(
            file, "not an FID statistics file: needs arrays 'mu' and 'sigma', has " + npz.names());
      }
      TensorData mu = npz.read("mu");
      TensorData sigma = npz.read("sigma");
      long[] ms = mu.shape();
      long[] ss = sigma.shape();
      if (ms.length != 1 || ss.length != 2 || ss[0] != ms[0] || ss[1] != ms[0]) {
        throw new CheckpointFormatException(
            file,
            "'mu' "
                + Arrays.toString(ms)
                + " and 'sigma' "
                + Arrays.toString(ss)
                + " must be [d] and [d, d]");
      }
      if (!mu.dtype().isFloating() || !sigma.dtype().isFloating()) {
        throw new CheckpointFormatException(
            file,
            "'mu' and 'sigma' must be floating point, got " + mu.dtype() + " and " + sigma.dtype());
      }
      return new FidStats(mu.toDoubleArray(), sigma.toDoubleArray());
    }
  }

  /**
   * Writes {@code mu} and {@code sigma} as float64, readable by {@code np.load} and pytorch-fid.
   * Atomic.
   */
  public void write(Path file) throws IOException {
    Map<String, TensorData> arrays = new LinkedHashMap<>();
    arrays.put("mu", TensorData.ofDoubles(new long[] {mu.length}, mu));
    arrays.put("sigma", TensorData.ofDoubles(new long[] {mu.length, mu.length}, sigma));
    org.l2cbeam.core.io.NpzWriter.write(file, arrays);
  }
}
