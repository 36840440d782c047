package org.l2cbeam.core.assets;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Map;

/**
 * Files shipped inside the jar (the Fashion-MNIST DiT, its FID feature network and reference statistics), addressed
 * as {@code builtin:NAME}. Readers memory-map files, so a resource is copied once to a cache directory
 * ({@code $L2C_CACHE_DIR}, default {@code ~/.cache/l2c-beam}) and used from there.
 */
public final class BuiltinAssets {
  public static final String SCHEME = "builtin:";

  /** Builtin names and the classpath resources behind them. */
  private static final Map<String, String> RESOURCES =
      Map.of(
          "fmnist-dit", "org/l2cbeam/assets/fmnist-dit/fmnist-dit-ema.pt",
          "fmnist-features", "org/l2cbeam/assets/fmnist-features/fmnist-features.pt",
          "fmnist-test-stats", "org/l2cbeam/assets/fmnist-features/fmnist-test-stats.npz");

  private BuiltinAssets() {}

  public static boolean isBuiltin(String location) {
    return location.startsWith(SCHEME);
  }

  /** A local path for {@code location}: a builtin name is materialised, anything else is a plain path. */
  public static Path resolve(String location) {
    if (!isBuiltin(location)) {
      return Path.of(location);
    }
    String name = location.substring(SCHEME.length());
    String resource = RESOURCES.get(name);
    if (resource == null) {
      throw new IllegalArgumentException(
          "unknown builtin asset '" + location + "'; known: " + RESOURCES.keySet().stream().sorted().toList());
    }
    return materialise(resource);
  }

  private static synchronized Path materialise(String resource) {
    try (InputStream in = BuiltinAssets.class.getClassLoader().getResourceAsStream(resource)) {
      if (in == null) {
        throw new IllegalStateException("builtin resource missing from the classpath: " + resource);
      }
      byte[] bytes = in.readAllBytes();
      String digest = Integer.toHexString(java.util.Arrays.hashCode(bytes)) + "-" + bytes.length;
      Path dir = cacheDir().resolve(digest);
      Path target = dir.resolve(Path.of(resource).getFileName().toString());
      if (Files.isRegularFile(target) && Files.size(target) == bytes.length) {
        return target;
      }
      Files.createDirectories(dir);
      Path tmp = Files.createTempFile(dir, ".asset", ".partial");
      Files.write(tmp, bytes);
      Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
      return target;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot materialise builtin resource " + resource, e);
    }
  }

  private static Path cacheDir() {
    String env = System.getenv("L2C_CACHE_DIR");
    if (env != null && !env.isBlank()) {
      return Path.of(env);
    }
    return Path.of(System.getProperty("user.home"), ".cache", "l2c-beam");
  }
}
