package org.l2cbeam.core.assets;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Map;

/**
 * Files shipped inside the jar (the Fashion-MNIST DiT, its FID feature network and reference
 * statistics, and a Fashion-MNIST subset as a directory of IDX files, {@code
 * builtin:fashion-mnist}), addressed as {@code builtin:NAME}. Readers memory-map files, so a
 * resource is copied once to a cache directory ({@code $L2C_CACHE_DIR}, default {@code
 * ~/.cache/l2c-beam}) and used from there.
 */
public final class BuiltinAssets {
  public static final String SCHEME = "builtin:";

  /** Builtin names and the classpath resources behind them. */
  private static final Map<String, String> RESOURCES =
      Map.of(
          "fmnist-dit", "org/l2cbeam/assets/fmnist-dit/fmnist-dit-ema.pt",
          "fmnist-features", "org/l2cbeam/assets/fmnist-features/fmnist-features.pt",
          "fmnist-test-stats", "org/l2cbeam/assets/fmnist-features/fmnist-test-stats.npz");

  /** Builtin names that resolve to a directory of several resources. */
  private static final Map<String, java.util.List<String>> DIRECTORIES =
      Map.of(
          "fashion-mnist",
          java.util.List.of(
              "org/l2cbeam/assets/fashion-mnist/t10k-images-idx3-ubyte.gz",
              "org/l2cbeam/assets/fashion-mnist/t10k-labels-idx1-ubyte.gz",
              "org/l2cbeam/assets/fashion-mnist/train-images-idx3-ubyte.gz",
              "org/l2cbeam/assets/fashion-mnist/train-labels-idx1-ubyte.gz"));

  private BuiltinAssets() {}

  public static boolean isBuiltin(String location) {
    return location.startsWith(SCHEME);
  }

  /**
   * A local path for {@code location}: a builtin name is materialised, anything else is a plain
   * path.
   */
  public static Path resolve(String location) {
    if (!isBuiltin(location)) {
      return Path.of(location);
    }
    String name = location.substring(SCHEME.length());
    if (DIRECTORIES.containsKey(name)) {
      return materialiseDirectory(name, DIRECTORIES.get(name));
    }
    String resource = RESOURCES.get(name);
    if (resource == null) {
      java.util.List<String> known = new java.util.ArrayList<>(RESOURCES.keySet());
      known.addAll(DIRECTORIES.keySet());
      throw new IllegalArgumentException(
          "unknown builtin asset '" + location + "'; known: " + known.stream().sorted().toList());
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

  /**
   * Copies several resources into one directory, named by the builtin and a digest of all their
   * bytes.
   */
  private static synchronized Path materialiseDirectory(
      String name, java.util.List<String> resources) {
    try {
      java.util.List<byte[]> contents = new java.util.ArrayList<>();
      int digest = 1;
      long total = 0;
      for (String resource : resources) {
        try (InputStream in = BuiltinAssets.class.getClassLoader().getResourceAsStream(resource)) {
          if (in == null) {
            throw new IllegalStateException(
                "builtin resource missing from the classpath: " + resource);
          }
          byte[] bytes = in.readAllBytes();
          contents.add(bytes);
          digest = 31 * digest + java.util.Arrays.hashCode(bytes);
          total += bytes.length;
        }
      }
      Path dir = cacheDir().resolve(name + "-" + Integer.toHexString(digest) + "-" + total);
      Files.createDirectories(dir);
      for (int i = 0; i < resources.size(); i++) {
        byte[] bytes = contents.get(i);
        Path target = dir.resolve(Path.of(resources.get(i)).getFileName().toString());
        if (Files.isRegularFile(target) && Files.size(target) == bytes.length) {
          continue;
        }
        Path tmp = Files.createTempFile(dir, ".asset", ".partial");
        Files.write(tmp, bytes);
        Files.move(
            tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
      }
      return dir;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot materialise builtin directory " + name, e);
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
