package org.l2cbeam.core.model;

import ai.djl.ndarray.NDManager;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.io.InputStream;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.l2cbeam.core.assets.BuiltinAssets;
import org.l2cbeam.core.io.CheckpointFormatException;
import org.l2cbeam.core.io.WeightMap;

/**
 * Opens a DiT checkpoint from a path or {@code builtin:NAME}: unwraps a training checkpoint's
 * {@code ema} weights as DiT's {@code find_model} does, infers the config from the shapes, and
 * takes the head count (which shapes do not determine) from, in order: the explicit argument, a
 * {@code config.json} next to the checkpoint (or the builtin's), the official table.
 */
public final class DiTLoader {
  private static final String BUILTIN_DIT_CONFIG = "org/l2cbeam/assets/fmnist-dit/config.json";

  private DiTLoader() {}

  /** The state dict of {@code location}, with an {@code ema.} wrapper removed. */
  public static WeightMap stateDict(String location) {
    WeightMap w = WeightMap.open(BuiltinAssets.resolve(location));
    if (!w.contains("x_embedder.proj.weight") && w.hasPrefix("ema")) {
      return w.withPrefix("ema");
    }
    return w;
  }

  /** The config of {@code location}; {@code numHeads <= 0} means "find it" (see class doc). */
  public static DiTConfig config(String location, WeightMap stateDict, int numHeads) {
    int heads = numHeads > 0 ? numHeads : configuredHeads(location);
    return DiTConfig.infer(stateDict, heads);
  }

  /** Loads the model into a sub-manager of {@code parent}. */
  public static DiT load(String location, int numHeads, NDManager parent) {
    WeightMap w = stateDict(location);
    return DiT.load(w, config(location, w, numHeads), parent);
  }

  /** True if the file looks like a DiT state dict (plain or {@code ema}-wrapped). */
  public static boolean isDiT(WeightMap w) {
    return w.contains("x_embedder.proj.weight") || w.contains("ema.x_embedder.proj.weight");
  }

  /**
   * The inferred config as a map for display ({@code l2c inspect}); if the head count cannot be
   * found it is shown as unknown, and an inconsistent checkpoint yields {@code {"error": message}}.
   */
  public static Map<String, Object> describe(String location, WeightMap file) {
    try {
      WeightMap w = file.contains("x_embedder.proj.weight") ? file : file.withPrefix("ema");
      int heads = configuredHeads(location);
      boolean known =
          heads > 0 || DiTConfig.officialHeads((int) w.shape("x_embedder.proj.weight")[0]) > 0;
      DiTConfig cfg = DiTConfig.infer(w, known ? heads : 1);
      Map<String, Object> m = new LinkedHashMap<>(cfg.toMap());
      if (!known) m.put("num_heads", "unknown (not determined by shapes; pass --num-heads)");
      if (w != file) m.put("unwrapped", "ema");
      return m;
    } catch (RuntimeException e) {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("error", e.getMessage());
      return m;
    }
  }

  /**
   * The head count of a {@code config.json} beside {@code location} (or the builtin's), or -1 if
   * none says.
   */
  static int configuredHeads(String location) {
    if (BuiltinAssets.isBuiltin(location)) {
      if (location.equals("builtin:fmnist-dit")) {
        try (InputStream in =
            DiTLoader.class.getClassLoader().getResourceAsStream(BUILTIN_DIT_CONFIG)) {
          if (in != null) {
            return headsFrom(
                JsonParser.parseString(new String(in.readAllBytes(), StandardCharsets.UTF_8))
                    .getAsJsonObject());
          }
        } catch (IOException e) {
          throw new IllegalStateException("cannot read builtin resource " + BUILTIN_DIT_CONFIG, e);
        }
      }
      return -1;
    }
    Path sidecar = Path.of(location).toAbsolutePath().resolveSibling("config.json");
    if (!Files.isRegularFile(sidecar)) {
      return -1;
    }
    try (Reader r = Files.newBufferedReader(sidecar)) {
      return headsFrom(JsonParser.parseReader(r).getAsJsonObject());
    } catch (IOException | RuntimeException e) {
      throw new CheckpointFormatException(sidecar, "unreadable model config: " + e.getMessage(), e);
    }
  }

  private static int headsFrom(JsonObject o) {
    return o.has("num_heads") ? o.get("num_heads").getAsInt() : -1;
  }
}
