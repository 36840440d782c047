package org.l2cbeam.core.router.train;

import java.util.Map;
import org.l2cbeam.core.TestResources;
import org.l2cbeam.core.io.SafetensorsFile;
import org.l2cbeam.core.io.TensorData;

/**
 * The reference run {@code dit_router_train.safetensors} (manifest procedures P15-P20): 4
 * iterations of the original {@code train_router.py} loop on the small DiT of {@code
 * dit_model.safetensors}, NFE 20, batch 2, in two variants, {@code torch2} (zero_grad sets None)
 * and {@code torch113} (zero_grad fills zeros).
 */
final class RouterTrainVectors {
  static final int STEPS = 4;
  static final int NFE = 20;
  static final double LAMBDA = 5e-6;

  private final Map<String, TensorData> t;

  RouterTrainVectors() {
    t = SafetensorsFile.read(TestResources.vector("dit_router_train.safetensors")).tensors;
  }

  TensorData tensor(String name) {
    TensorData d = t.get(name);
    if (d == null)
      throw new IllegalArgumentException("dit_router_train.safetensors has no tensor " + name);
    return d;
  }

  float[] floats(String name) {
    return tensor(name).toFloatArray();
  }

  long[] longs(String name) {
    return tensor(name).toLongArray();
  }

  float scalar(String name) {
    return floats(name)[0];
  }

  /** A {@code [rows, cols]} float tensor as rows. */
  float[][] matrix(String name) {
    TensorData d = tensor(name);
    int rows = (int) d.shape()[0];
    int cols = (int) d.shape()[1];
    float[] flat = d.toFloatArray();
    float[][] m = new float[rows][cols];
    for (int r = 0; r < rows; r++) System.arraycopy(flat, r * cols, m[r], 0, cols);
    return m;
  }

  float[][] initialRouters() {
    return matrix("routers.init");
  }

  float[][] routersAfter(String variant, int step) {
    return matrix(variant + ".step" + step + ".routers_after");
  }

  /** The router (= cache step) used at {@code step}. */
  int routerIndex(int step) {
    return (int) longs("torch2.step" + step + ".router_idx")[0];
  }

  float[] routerGrad(int step) {
    return floats("torch2.step" + step + ".router_grad");
  }
}
