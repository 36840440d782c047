package org.l2cbeam.pipelines.cli;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import org.l2cbeam.core.io.TensorData;
import org.l2cbeam.core.io.WeightMap;
import org.l2cbeam.core.model.DiTLoader;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** {@code l2c inspect FILE}: one JSON line per tensor, then one {@code {"meta":...}} line. */
@Command(name = "inspect", description = "List the tensors of a .pt or .safetensors file as JSON lines.")
final class InspectCommand implements Callable<Integer> {
  @Parameters(index = "0", paramLabel = "FILE", description = "checkpoint (.pt, .pth or .safetensors)")
  Path file;

  @Override
  public Integer call() {
    WeightMap weights = WeightMap.open(file);
    Gson gson = new GsonBuilder().disableHtmlEscaping().serializeSpecialFloatingPointValues().create();
    PrintStream out = System.out;
    for (String name : weights.names()) {
      TensorData t = weights.get(name);
      Map<String, Object> line = new LinkedHashMap<>();
      line.put("name", name);
      line.put("dtype", t.dtype().name());
      line.put("shape", t.shape());
      double sum = 0;
      double sq = 0;
      if (t.dtype().isFloating() || t.numel() > 0) {
        for (double v : t.toDoubleArray()) {
          sum += v;
          sq += v * v;
        }
      }
      line.put("sum", sum);
      line.put("l2", Math.sqrt(sq));
      out.println(gson.toJson(line));
    }
    Map<String, Object> meta = new LinkedHashMap<>(weights.metadata());
    meta.put("fingerprint", weights.fingerprint());
    if (DiTLoader.isDiT(weights)) {
      meta.put("dit", DiTLoader.describe(file.toString(), weights));
    }
    out.println(gson.toJson(Map.of("meta", meta)));
    return 0;
  }
}
