package org.l2cbeam.core.model;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.Arrays;
import org.l2cbeam.core.runtime.Torch;

/**
 * The GEMM rate a transformer forward is held against: the four linear layers of one block (qkv,
 * proj, fc1, fc2) at a model's own width and row count, on the kernels the model runs, timed in the
 * calling process. A benchmark prints a forward's effective GFLOP/s next to this figure, measured
 * in the same run, so the ratio is about the code and not about the machine's mood.
 */
public final class PackedGemmRate {
  private PackedGemmRate() {}

  /**
   * GFLOP/s (2 FLOP per MAC) of the four block GEMMs {@code [rows, hidden] x [hidden, 3·hidden |
   * hidden | mlp]} and {@code [rows, mlp] x [mlp, hidden]} on {@code execution}'s kernels: the
   * total FLOP over the sum of each GEMM's median of {@code runs} calls (after two warm-ups). Plain
   * kernels time DJL's dense linear.
   */
  public static double gflops(
      int hidden, int mlpHidden, int rows, ModelExecution execution, int runs) {
    if (runs < 1) throw new IllegalArgumentException("runs must be at least 1, got " + runs);
    BranchKernels kernels = BranchKernels.resolve(execution, rows);
    Torch.inferenceMode();
    long[][] shapes = {
      {3L * hidden, hidden}, {hidden, hidden}, {mlpHidden, hidden}, {hidden, mlpHidden}
    };
    double flop = 0;
    double seconds = 0;
    // on the device the models run on; the oneDNN kernels only exist on the CPU (ModelExecution.on)
    Device device = execution.kernels() == Kernels.ONEDNN ? Device.cpu() : Torch.defaultDevice();
    try (NDManager m = Torch.newManager(device)) {
      for (long[] shape : shapes) {
        NDArray w = m.randomNormal(0f, 0.02f, new Shape(shape), DataType.FLOAT32);
        NDArray b = m.zeros(new Shape(shape[0]));
        ParameterSource source = (name, manager) -> (name.endsWith("weight") ? w : b).duplicate();
        LinearLayer layer = LinearLayer.load(source, "gemm.", true, kernels, m);
        NDArray x = m.randomNormal(new Shape(rows, shape[1]));
        double[] t = new double[runs];
        for (int i = -2; i < runs; i++) {
          try (NDManager s = m.newSubManager()) {
            x.tempAttach(s);
            long t0 = System.nanoTime();
            layer.apply(x, kernels).getFloat(0, 0);
            if (i >= 0) t[i] = (System.nanoTime() - t0) / 1e9;
          }
        }
        Arrays.sort(t);
        seconds += t[runs / 2];
        flop += 2.0 * rows * shape[0] * shape[1];
      }
    }
    return flop / seconds / 1e9;
  }
}
