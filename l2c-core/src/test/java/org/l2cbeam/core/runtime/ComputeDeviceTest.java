package org.l2cbeam.core.runtime;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertSame;
import static org.junit.Assert.assertThrows;

import ai.djl.Device;
import ai.djl.engine.Engine;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import org.junit.Test;
import org.l2cbeam.core.model.Kernels;
import org.l2cbeam.core.model.ModelExecution;
import org.l2cbeam.core.model.Precision;

/**
 * Device requests: parsing, resolution on this machine, the GPU-less failure, and what kernels run
 * where.
 */
public class ComputeDeviceTest {
  @Test
  public void parsesEveryFormAndWritesItBack() {
    assertSame(ComputeDevice.AUTO, ComputeDevice.parse("auto", "--device"));
    assertSame(ComputeDevice.CPU, ComputeDevice.parse(" CPU ", "--device"));
    assertEquals(ComputeDevice.gpu(0), ComputeDevice.parse("gpu", "--device"));
    assertEquals(ComputeDevice.gpu(3), ComputeDevice.parse("GPU:3", "--device"));
    for (String s : new String[] {"auto", "cpu", "gpu:0", "gpu:12"}) {
      assertEquals(s, ComputeDevice.parse(s, "--device").toString());
    }
  }

  @Test
  public void badValuesNameTheOption() {
    for (String bad : new String[] {"", "cuda", "gpu:", "gpu:-1", "gpu:x", "gpu0", "tpu"}) {
      IllegalArgumentException e =
          assertThrows(IllegalArgumentException.class, () -> ComputeDevice.parse(bad, "--device"));
      assertThat(e.getMessage(), containsString("--device must be auto, cpu, gpu or gpu:N"));
      assertThat(e.getMessage(), containsString("'" + bad + "'"));
    }
    assertThrows(IllegalArgumentException.class, () -> ComputeDevice.gpu(-1));
  }

  @Test
  public void survivesJavaSerialization() throws Exception {
    for (ComputeDevice d :
        new ComputeDevice[] {ComputeDevice.AUTO, ComputeDevice.CPU, ComputeDevice.gpu(1)}) {
      ByteArrayOutputStream bytes = new ByteArrayOutputStream();
      try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
        out.writeObject(d);
      }
      try (ObjectInputStream in =
          new ObjectInputStream(new ByteArrayInputStream(bytes.toByteArray()))) {
        assertEquals(d, in.readObject());
      }
    }
  }

  @Test
  public void cpuAndAutoResolveOnThisMachine() {
    assertEquals(Device.cpu(), ComputeDevice.CPU.resolve());
    Device expected = ComputeDevice.visibleGpus() > 0 ? Device.gpu(0) : Device.cpu();
    assertEquals(expected, ComputeDevice.AUTO.resolve());
    // the suite runs on the JVM's default device: auto unless -Dl2c.device says otherwise
    assertEquals(ComputeDevice.defaults().resolve(), Torch.defaultDevice());
  }

  /**
   * One GPU past the last visible one: on this GPU-less machine that is gpu:0, and plain "gpu" too.
   */
  @Test
  public void aGpuTheEngineDoesNotSeeFailsNamingTheDeviceAndTheEngineBuild() {
    int visible = ComputeDevice.visibleGpus();
    ComputeDevice missing = ComputeDevice.gpu(visible);
    IllegalStateException e = assertThrows(IllegalStateException.class, missing::resolve);
    assertThat(e.getMessage(), containsString("device gpu:" + visible + " was asked for"));
    assertThat(e.getMessage(), containsString("PyTorch " + Torch.engine().getVersion()));
    assertThat(e.getMessage(), containsString("DJL " + Engine.getDjlVersion()));
    assertThat(
        e.getMessage(), containsString(ComputeDevice.hasCuda() ? "CUDA build" : "CPU-only build"));
    if (visible == 0) {
      assertThat(e.getMessage(), containsString("the engine sees no GPU"));
      assertThat(
          ComputeDevice.engineBuild(),
          containsString(ComputeDevice.hasCuda() ? "0 GPUs visible" : "CPU-only"));
    }
  }

  @Test
  public void oneDnnKernelsRunOnCpusOnlyAndGpusGetThePlainPath() {
    ModelExecution bf16 = ModelExecution.of(Kernels.ONEDNN, Precision.BF16);
    ModelExecution onednn = ModelExecution.of(Kernels.ONEDNN, Precision.FP32);
    assertEquals(bf16, bf16.on(Device.cpu()));
    assertEquals(onednn, onednn.on(Device.cpu()));
    assertEquals(onednn, onednn.on(Device.of(Device.Type.CPU, 0)));
    assertEquals(ModelExecution.plain(), onednn.on(Device.gpu(0)));
    assertEquals(ModelExecution.plain(), bf16.on(Device.gpu(1)));
    assertEquals(ModelExecution.plain(), ModelExecution.plain().on(Device.gpu(0)));
  }
}
