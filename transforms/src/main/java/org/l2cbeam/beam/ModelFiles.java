package org.l2cbeam.beam;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.channels.Channels;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.regex.Pattern;
import org.apache.beam.sdk.io.FileSystems;
import org.apache.beam.sdk.io.fs.EmptyMatchTreatment;
import org.apache.beam.sdk.io.fs.MatchResult;
import org.apache.beam.sdk.io.fs.ResolveOptions.StandardResolveOptions;
import org.apache.beam.sdk.io.fs.ResourceId;
import org.l2cbeam.core.assets.BuiltinAssets;

/**
 * Model and statistics files named by location: {@code builtin:NAME}, a local path, or any URI
 * Beam's {@link FileSystems} knows ({@code gs://} with Beam's GCP core on the classpath).
 * Checkpoint readers memory-map files, so a remote file is first copied, once per JVM and location,
 * to a local cache directory (temp name, then rename, so a crashed copy is never mistaken for a
 * complete one).
 */
final class ModelFiles {
  private static final Pattern URI_SCHEME = Pattern.compile("^[a-zA-Z][a-zA-Z0-9+.-]*://.*");

  private ModelFiles() {}

  static boolean isRemote(String location) {
    return URI_SCHEME.matcher(location).matches() && !location.startsWith("file://");
  }

  /**
   * Fails with a message naming {@code option} unless {@code location} exists. Used at pipeline
   * construction, so a missing model is reported before any worker starts.
   */
  static void checkExists(String option, String location) {
    if (location == null || location.isBlank()) {
      throw new IllegalArgumentException(option + ": no location given");
    }
    if (BuiltinAssets.isBuiltin(location)) {
      try {
        BuiltinAssets.resolve(location);
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException(option + ": " + e.getMessage(), e);
      }
      return;
    }
    if (!isRemote(location)) {
      Path p = localPath(location);
      if (!Files.isRegularFile(p)) {
        throw new IllegalArgumentException(option + ": no such file: " + p);
      }
      return;
    }
    checkFileSystem(option, location);
    MatchResult m = matchWithin(option, location, remoteCheckSeconds());
    if (m.status() == MatchResult.Status.NOT_FOUND) {
      throw new IllegalArgumentException(option + ": no such file: " + location);
    }
    try {
      if (m.metadata().isEmpty())
        throw new IllegalArgumentException(option + ": no such file: " + location);
    } catch (
        IOException
            e) { // status ERROR: the cause is what the user needs (no network, no credentials, ...)
      throw new IllegalArgumentException(
          option + ": cannot check " + location + ": " + causes(e), e);
    }
  }

  /**
   * Seconds a construction-time check of a remote location may take: {@code
   * -Dl2c.remoteCheckSeconds}, default 20.
   */
  static long remoteCheckSeconds() {
    return Long.getLong("l2c.remoteCheckSeconds", 20);
  }

  /**
   * Matches {@code location}, giving up after {@code seconds}: a file system client without network
   * may retry for minutes, and a pipeline's construction should say what is wrong at once.
   */
  private static MatchResult matchWithin(String option, String location, long seconds) {
    java.util.concurrent.FutureTask<MatchResult> match =
        new java.util.concurrent.FutureTask<>(
            () -> FileSystems.match(List.of(location), EmptyMatchTreatment.ALLOW).get(0));
    Thread t = new Thread(match, "l2c-check-" + location);
    t.setDaemon(true);
    t.start();
    try {
      return match.get(seconds, java.util.concurrent.TimeUnit.SECONDS);
    } catch (java.util.concurrent.TimeoutException e) {
      match.cancel(true);
      throw new IllegalArgumentException(
          option
              + ": gave up checking "
              + location
              + " after "
              + seconds
              + " s without an answer (no network? no"
              + " credentials?); -Dl2c.remoteCheckSeconds=N waits longer, withoutValidation() skips the check where"
              + " the transform has it",
          e);
    } catch (java.util.concurrent.ExecutionException e) {
      throw new IllegalArgumentException(
          option + ": cannot check " + location + ": " + causes(e.getCause()), e.getCause());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(option + ": interrupted while checking " + location, e);
    }
  }

  /**
   * Fails naming {@code option}, the location and what to do unless Beam's {@link FileSystems} can
   * read its scheme: Beam's own message ("No filesystem found for scheme gs") names neither the
   * transform nor the fix.
   */
  static void checkFileSystem(String option, String location) {
    String scheme = location.substring(0, location.indexOf("://"));
    try {
      FileSystems.matchNewResource(location, false);
    } catch (IllegalArgumentException e) {
      if (e.getMessage() == null || !e.getMessage().contains("No filesystem found")) throw e;
      boolean gcs = "gs".equals(scheme);
      boolean gcsOnClasspath =
          gcs && onClasspath("org.apache.beam.sdk.extensions.gcp.storage.GcsFileSystemRegistrar");
      String fix;
      if (gcs && !gcsOnClasspath) {
        fix =
            "add Beam's GCP extension (org.apache.beam:beam-sdks-java-extensions-google-cloud-platform-core; the"
                + " l2c build's -Pdataflow profile has it) to the classpath, and create the pipeline with its options,"
                + " Pipeline.create(options)";
      } else {
        fix =
            "the file system for "
                + scheme
                + ":// is registered by creating the pipeline with its options,"
                + " Pipeline.create(options), before applying the transform (or FileSystems.setDefaultPipelineOptions("
                + "options)); check that its Beam extension is on the classpath";
      }
      throw new IllegalArgumentException(
          option
              + ": no file system for "
              + scheme
              + ":// in this JVM, so "
              + location
              + " cannot be read: "
              + fix,
          e);
    }
  }

  private static boolean onClasspath(String className) {
    try {
      Class.forName(className, false, ModelFiles.class.getClassLoader());
      return true;
    } catch (ClassNotFoundException e) {
      return false;
    }
  }

  /**
   * "message (caused by X: message)" down the cause chain, e.g. to the UnknownHostException behind
   * an error.
   */
  static String causes(Throwable e) {
    StringBuilder sb = new StringBuilder(String.valueOf(e.getMessage()));
    java.util.Set<Throwable> seen = new java.util.HashSet<>();
    for (Throwable c = e.getCause(); c != null && seen.add(c); c = c.getCause()) {
      sb.append(" (caused by ")
          .append(c.getClass().getName())
          .append(": ")
          .append(c.getMessage())
          .append(')');
    }
    return sb.toString();
  }

  /**
   * A local path for {@code location} (a builtin is materialised, a remote file copied to the local
   * cache).
   */
  static Path localCopy(String location) {
    if (BuiltinAssets.isBuiltin(location)) {
      return BuiltinAssets.resolve(location);
    }
    if (!isRemote(location)) {
      return localPath(location);
    }
    checkFileSystem("reading " + location, location);
    ResourceId remote = FileSystems.matchNewResource(location, false);
    Path dir = cacheDir().resolve(sha256(location).substring(0, 16));
    Path target = dir.resolve(remote.getFilename());
    synchronized (ModelFiles.class) {
      if (!Files.isRegularFile(target)) {
        copy(remote, dir, target);
        // DiT's head count lives in a config.json beside the checkpoint; bring it along when there
        // is one.
        ResourceId sidecar =
            remote
                .getCurrentDirectory()
                .resolve("config.json", StandardResolveOptions.RESOLVE_FILE);
        try {
          MatchResult m =
              FileSystems.match(List.of(sidecar.toString()), EmptyMatchTreatment.ALLOW).get(0);
          if (m.status() == MatchResult.Status.OK && !m.metadata().isEmpty()) {
            copy(sidecar, dir, dir.resolve("config.json"));
          }
        } catch (IOException e) {
          throw new UncheckedIOException("cannot look for " + sidecar, e);
        }
      }
    }
    return target;
  }

  private static void copy(ResourceId from, Path dir, Path target) {
    try {
      Files.createDirectories(dir);
      Path tmp = Files.createTempFile(dir, ".download", ".partial");
      try (InputStream in = Channels.newInputStream(FileSystems.open(from))) {
        Files.copy(in, tmp, StandardCopyOption.REPLACE_EXISTING);
        Files.move(
            tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
      } finally {
        Files.deleteIfExists(tmp);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(
          "cannot copy " + from + " to " + target + ": " + e.getMessage(), e);
    }
  }

  private static Path localPath(String location) {
    return location.startsWith("file://")
        ? Path.of(java.net.URI.create(location))
        : Path.of(location);
  }

  private static Path cacheDir() {
    String env = System.getenv("L2C_CACHE_DIR");
    Path base =
        env != null && !env.isBlank()
            ? Path.of(env)
            : Path.of(System.getProperty("java.io.tmpdir"), "l2c-beam-cache");
    return base.resolve("remote");
  }

  static String sha256(String s) {
    try {
      return HexFormat.of()
          .formatHex(
              MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
