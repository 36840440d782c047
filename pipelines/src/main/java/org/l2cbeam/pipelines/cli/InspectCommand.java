package org.l2cbeam.pipelines.cli;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.l2cbeam.core.io.TensorData;
import org.l2cbeam.core.io.WeightMap;
import org.l2cbeam.core.model.DiTLoader;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/**
 * {@code l2c inspect FILE}: one JSON line per tensor, then one {@code {"meta":...}} line. Every
 * line is valid JSON: JSON has no NaN or Infinity, so a tensor holding them gets {@code "sum":
 * null, "l2": null} and {@code "nonFinite": <count>}, and a non-finite metadata number becomes
 * {@code null}, its dotted path listed under {@code meta.nonFinite}. A {@code .pt} file is read
 * with every storage's CRC-32 verified.
 */
@Command(
    name = "inspect",
    description = "List the tensors of a .pt or .safetensors file as JSON lines.")
final class InspectCommand implements Callable<Integer> {
  @Parameters(
      index = "0",
      paramLabel = "FILE",
      description = "checkpoint (.pt, .pth or .safetensors)")
  Path file;

  @Override
  public Integer call() {
    WeightMap weights = WeightMap.openVerified(file);
    Gson gson = new GsonBuilder().disableHtmlEscaping().serializeNulls().create();
    PrintStream out = System.out;
    for (String name : weights.names()) {
      TensorData t = weights.get(name);
      TensorData.Summary s = t.summary();
      double l2 = Math.sqrt(s.sumOfSquares);
      Map<String, Object> line = new LinkedHashMap<>();
      line.put("name", name);
      line.put("dtype", t.dtype().name());
      line.put("shape", t.shape());
      boolean finite = s.nonFinite == 0 && Double.isFinite(s.sum) && Double.isFinite(l2);
      line.put("sum", finite ? s.sum : null);
      line.put("l2", finite ? l2 : null);
      if (!finite) {
        line.put("nonFinite", s.nonFinite); // 0 here means the sum itself overflowed
      }
      out.println(gson.toJson(line));
    }
    List<String> nonFinite = new ArrayList<>();
    @SuppressWarnings("unchecked")
    Map<String, Object> meta =
        (Map<String, Object>) finiteOrNull(weights.metadata(), "", nonFinite);
    meta.put("fingerprint", weights.fingerprint());
    if (DiTLoader.isDiT(weights)) {
      meta.put("dit", finiteOrNull(DiTLoader.describe(file.toString(), weights), "dit", nonFinite));
    }
    if (!nonFinite.isEmpty()) {
      meta.put("nonFinite", nonFinite);
    }
    out.println(gson.toJson(Map.of("meta", meta)));
    return 0;
  }

  /**
   * A copy of {@code value} with NaN and infinite numbers replaced by null, their dotted paths
   * added to {@code paths}.
   */
  private static Object finiteOrNull(Object value, String path, List<String> paths) {
    if (value instanceof Map) {
      Map<String, Object> out = new LinkedHashMap<>();
      ((Map<?, ?>) value)
          .forEach((k, v) -> out.put(String.valueOf(k), finiteOrNull(v, join(path, k), paths)));
      return out;
    }
    if (value instanceof List) {
      List<Object> out = new ArrayList<>();
      List<?> l = (List<?>) value;
      for (int i = 0; i < l.size(); i++) out.add(finiteOrNull(l.get(i), join(path, i), paths));
      return out;
    }
    if ((value instanceof Double && !Double.isFinite((Double) value))
        || (value instanceof Float && !Float.isFinite((Float) value))) {
      paths.add(path);
      return null;
    }
    return value;
  }

  private static String join(String path, Object key) {
    return path.isEmpty() ? String.valueOf(key) : path + "." + key;
  }
}
