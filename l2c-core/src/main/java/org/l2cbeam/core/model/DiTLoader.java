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
import org.l2cbeam.core.assets.BuiltinAssets;
import org.l2cbeam.core.io.CheckpointFormatException;
import org.l2cbeam.core.io.WeightMap;

/**
 * Opens a DiT checkpoint from a path or {@code builtin:NAME}: unwraps a training checkpoint's {@code ema} weights as
 * DiT's {@code find_model} does, infers the config from the shapes, and takes the head count (which shapes do not
 * determine) from, in order: the explicit argument, a {@code config.json} next to the checkpoint (or the builtin's),
 * the official table.
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

  private static int configuredHeads(String location) {
    if (BuiltinAssets.isBuiltin(location)) {
      if (location.equals("builtin:fmnist-dit")) {
        try (InputStream in = DiTLoader.class.getClassLoader().getResourceAsStream(BUILTIN_DIT_CONFIG)) {
          if (in != null) {
            return headsFrom(JsonParser.parseString(new String(in.readAllBytes(), StandardCharsets.UTF_8))
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
