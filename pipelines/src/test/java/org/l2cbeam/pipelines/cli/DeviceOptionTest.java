package org.l2cbeam.pipelines.cli;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.not;
import static org.junit.Assert.assertEquals;
import static org.l2cbeam.pipelines.cli.CliRun.assertClose;
import static org.l2cbeam.pipelines.cli.CliRun.assertFails;
import static org.l2cbeam.pipelines.cli.CliRun.assertOk;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.Rule;
import org.junit.Test;
import org.l2cbeam.core.io.TensorData;
import org.l2cbeam.core.io.WeightMap;
import org.l2cbeam.core.runtime.ComputeDevice;
import org.l2cbeam.core.runtime.Torch;

/**
 * {@code --device auto|cpu|gpu[:N]}: on every command that runs a model, and nowhere else; auto and
 * cpu run (here both are the CPU) and reproduce the reference forward; a GPU the engine does not
 * see fails in one line naming the device and the engine build.
 */
public class DeviceOptionTest {
  private static final Path VECTORS = Path.of("../l2c-core/src/test/resources/vectors");
  private static final String MODEL = VECTORS.resolve("dit_model.pt").toString();

  @Rule public final CliRun cli = new CliRun();

  private final WeightMap fwd = WeightMap.open(VECTORS.resolve("dit_forward.safetensors"));

  private void forwardOn(String device) throws Exception {
    Map<String, TensorData> in = new LinkedHashMap<>();
    in.put("x", fwd.get("in.x"));
    in.put("t", fwd.get("in.t"));
    in.put("y", fwd.get("in.y"));
    Path input = cli.write("in.safetensors", in);
    Path out = cli.path("out-" + device + ".safetensors");
    assertOk(
        cli.run(
            "forward",
            "--device",
            device,
            "--model",
            MODEL,
            "--num-heads",
            "4",
            "--input",
            input.toString(),
            "--output",
            out.toString()));
    assertClose(
        "forward out on " + device,
        fwd.get("out").toFloatArray(),
        WeightMap.open(out).get("out").toFloatArray(),
        3e-5);
  }

  @Test
  public void autoAndCpuReproduceTheForward() throws Exception {
    forwardOn("auto");
    forwardOn("cpu");
    assertEquals(ComputeDevice.AUTO.resolve(), Torch.defaultDevice());
  }

  @Test
  public void aGpuTheEngineDoesNotSeeFailsInOneLine() {
    String missing = "gpu:" + ComputeDevice.visibleGpus();
    String[] r =
        cli.run(
            "forward",
            "--device",
            missing,
            "--model",
            MODEL,
            "--num-heads",
            "4",
            "--input",
            "in.st",
            "--output",
            cli.path("never.safetensors").toString());
    assertFails(
        r,
        "l2c: error: device " + missing + " was asked for",
        "PyTorch " + Torch.engine().getVersion(),
        ComputeDevice.hasCuda() ? "CUDA build" : "CPU-only build");
    assertEquals("one line: " + r[1], 1, r[1].strip().split("\n").length);
  }

  @Test
  public void aBadValueNamesTheOption() {
    assertFails(
        cli.run(
            "sample",
            "--device",
            "cuda:0",
            "--model",
            MODEL,
            "--num-heads",
            "4",
            "--steps",
            "10",
            "--labels",
            "1,2",
            "--output",
            cli.path("never.safetensors").toString()),
        "l2c: error: --device must be auto, cpu, gpu or gpu:N",
        "'cuda:0'");
  }

  /**
   * {@code l2c pipeline NAME --device=...} is the pipeline's option: it runs on cpu and names
   * itself when bad.
   */
  @Test
  public void pipelinesTakeTheirOwnDeviceOption() {
    String[] ok =
        CliRun.codeOutErr(
            "pipeline",
            "sample",
            "--device=cpu",
            "--labels",
            "0,1",
            "--steps",
            "2",
            "--output",
            cli.path("on-cpu").toString());
    assertEquals(ok[2], "0", ok[0]);
    assertThat(ok[1], containsString("[sample] pipeline DONE after"));
    for (String pipeline : new String[] {"sample", "train-router", "benchmark", "evaluate"}) {
      String[] help = CliRun.codeOutErr("pipeline", pipeline, "--help");
      assertThat(pipeline + " --help", help[1], containsString("--device"));
    }
    assertFails(
        cli.run(
            "pipeline",
            "sample",
            "--device=tpu",
            "--labels",
            "0",
            "--steps",
            "2",
            "--output",
            cli.path("never").toString()),
        "--device must be auto, cpu, gpu or gpu:N",
        "'tpu'");
  }

  @Test
  public void onModelCommandsOnlyAndLeftToThePipelinesOwnOption() {
    for (String[] command :
        new String[][] {
          {"forward"},
          {"sample"},
          {"router", "train"},
          {"bench", "dit"},
          {"vae", "decode"},
          {"fid", "stats"},
          {"demo"}
        }) {
      String[] help = new String[command.length + 1];
      System.arraycopy(command, 0, help, 0, command.length);
      help[command.length] = "--help";
      String[] r = CliRun.codeOutErr(help);
      assertThat(
          String.join(" ", command) + " --help", r[1], containsString("--device=auto|cpu|gpu[:N]"));
    }
    String[] inspect = CliRun.codeOutErr("inspect", "--help");
    assertThat(inspect[1], not(containsString("--device")));
    String[] pipeline = CliRun.codeOutErr("pipeline", "--help");
    assertThat(pipeline[1], not(containsString("--device=auto")));
  }
}
