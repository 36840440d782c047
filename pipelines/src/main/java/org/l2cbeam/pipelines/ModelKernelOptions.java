package org.l2cbeam.pipelines;

import org.apache.beam.sdk.options.Default;
import org.apache.beam.sdk.options.Description;

/**
 * How the pipelines' model runs on the workers: {@code --kernels}, {@code --precision} and {@code
 * --device}.
 */
public interface ModelKernelOptions extends WorkerDeviceOptions {
  @Description(
      "Transformer kernels: onednn (packed oneDNN GEMMs and fused attention, the default) or plain (DJL"
          + " NDArray ops, the reference)")
  @Default.String("onednn")
  String getKernels();

  void setKernels(String kernels);

  @Description(
      "Transformer branch arithmetic: fp32 (the default) or bf16 (opt-in, onednn kernels only: about twice"
          + " as fast on CPUs with AVX-512 BF16, at a relative error of a few 1e-3 per forward)")
  @Default.String("fp32")
  String getPrecision();

  void setPrecision(String precision);
}
