package org.l2cbeam.core.runtime.script;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertThrows;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.pytorch.jni.IValue;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;
import org.junit.Test;
import org.l2cbeam.core.runtime.Torch;

/**
 * The TorchScript archive writer and loader: a module written from source text runs in libtorch.
 */
public class ScriptModuleTest {
  private static final String SOURCE =
      String.join(
          "\n",
          "class Tiny(Module):",
          "  __parameters__ = []",
          "  __buffers__ = []",
          "  training : bool",
          "  _is_full_backward_hook : Optional[bool]",
          "  def scaled_sum(self: __torch__.Tiny,",
          "    x: Tensor,",
          "    y: Tensor,",
          "    k: float) -> Tensor:",
          "    return torch.add(x, torch.mul(y, k))",
          "  def gelu_tanh(self: __torch__.Tiny,",
          "    x: Tensor) -> Tensor:",
          "    return torch.gelu(x, approximate=\"tanh\")",
          "");

  @Test
  public void theArchiveHasTorchsLayoutWithStoredEntries() throws Exception {
    byte[] archive = TorchScriptArchive.write("tiny", "Tiny", SOURCE);
    List<String> names = new ArrayList<>();
    try (ZipInputStream zip = new ZipInputStream(new ByteArrayInputStream(archive))) {
      for (ZipEntry e = zip.getNextEntry(); e != null; e = zip.getNextEntry()) {
        names.add(e.getName());
        assertEquals(e.getName() + " is stored", ZipEntry.STORED, e.getMethod());
        byte[] data = zip.readAllBytes();
        if (e.getName().equals("tiny/version"))
          assertEquals("10", new String(data, StandardCharsets.US_ASCII));
        if (e.getName().equals("tiny/code/__torch__.py"))
          assertEquals(SOURCE, new String(data, StandardCharsets.UTF_8));
      }
    }
    assertEquals(
        List.of(
            "tiny/data.pkl",
            "tiny/code/__torch__.py",
            "tiny/constants.pkl",
            "tiny/version",
            "tiny/byteorder"),
        names);
  }

  @Test
  public void aModuleWrittenFromSourceRunsItsMethods() {
    Torch.inferenceMode();
    try (ScriptModule module = ScriptModule.compile("tiny", "Tiny", SOURCE);
        NDManager m = Torch.newManager()) {
      NDArray x = m.create(new float[] {1, 2, 3});
      NDArray y = m.create(new float[] {10, 20, 30});
      try (IValue a = ScriptModule.arg(x);
          IValue b = ScriptModule.arg(y);
          IValue k = IValue.from(0.5)) {
        assertArrayEquals(
            new float[] {6, 12, 18},
            module.callForTensor(m, "scaled_sum", a, b, k).toFloatArray(),
            0f);
      }
      // version 10: the loader takes gelu's approximate argument as written, without an upgrader
      try (IValue a = ScriptModule.arg(m.create(new float[] {1f}))) {
        assertEquals(0.841192f, module.callForTensor(m, "gelu_tanh", a).toFloatArray()[0], 1e-6f);
      }
    }
  }

  @Test
  public void sourceThatDoesNotCompileFailsWithTorchsMessage() {
    String broken = SOURCE.replace("torch.mul(y, k)", "torch.no_such_op(y, k)");
    RuntimeException e =
        assertThrows(RuntimeException.class, () -> ScriptModule.compile("tiny", "Tiny", broken));
    assertThat(e.getMessage(), containsString("no_such_op"));
  }

  @Test
  public void namesMustBeIdentifiers() {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class, () -> TorchScriptArchive.write("a/b", "Tiny", SOURCE));
    assertThat(e.getMessage(), containsString("'a/b'"));
  }
}
