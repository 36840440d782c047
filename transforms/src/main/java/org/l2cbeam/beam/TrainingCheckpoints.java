package org.l2cbeam.beam;

import java.io.Serializable;
import java.nio.file.Path;
import org.checkerframework.checker.nullness.qual.Nullable;
import org.l2cbeam.core.router.train.TrainingSettings;

/**
 * Where {@link TrainRouter} keeps its per-cache-step training checkpoints, so that a retried bundle
 * (or a re-run of the same training) resumes instead of restarting: {@code
 * BASE/l2c-train-router/RUN/cache-step-K.train.safetensors}.
 *
 * <p>BASE is {@link TrainRouter#withTempLocation}, else the pipeline's {@code --tempLocation} when
 * it is a local directory, else {@code java.io.tmpdir/l2c-USER} (one per user, created readable by
 * its owner only, so that users sharing a machine never resume, or overwrite, each other's
 * training). RUN is a hash of everything that defines the run except its length (model and data
 * fingerprints, the settings without the cache step, the warm start's logits if there is one): a
 * checkpoint found there was made by the same problem, and the core refuses to resume anything else
 * ({@code RouterCheckpoint.checkResumable}). Checkpoints are memory-mapped safetensors files, hence
 * local directories only.
 */
final class TrainingCheckpoints implements Serializable {
  private static final long serialVersionUID = 1L;
  static final String DIRECTORY = "l2c-train-router";

  private final @Nullable String explicitBase;

  TrainingCheckpoints(@Nullable String explicitBase) {
    this.explicitBase = explicitBase;
  }

  /** Fails naming the option unless {@code location} is a usable local directory name. */
  static void checkLocal(String option, String location) {
    if (location == null || location.isBlank()) {
      throw new IllegalArgumentException(option + ": the checkpoint directory is empty");
    }
    if (ModelFiles.isRemote(location)) {
      throw new IllegalArgumentException(
          option
              + ": checkpoint directory "
              + location
              + " must be local (training checkpoints are memory-mapped"
              + " safetensors files); on Dataflow leave it unset to use the worker's local disk");
    }
  }

  /**
   * The base directory: the explicit one, else a local pipeline tempLocation, else this user's temp
   * directory.
   */
  Path base(@Nullable String pipelineTempLocation) {
    if (explicitBase != null) return local(explicitBase);
    if (pipelineTempLocation != null
        && !pipelineTempLocation.isBlank()
        && !ModelFiles.isRemote(pipelineTempLocation)) {
      return local(pipelineTempLocation);
    }
    return userTempDirectory();
  }

  /**
   * {@code java.io.tmpdir/l2c-USER}, created owner-only (rwx------) where the file system has POSIX
   * permissions.
   */
  static Path userTempDirectory() {
    String user = System.getProperty("user.name", "user").replaceAll("[^A-Za-z0-9._-]", "_");
    Path dir = Path.of(System.getProperty("java.io.tmpdir"), "l2c-" + user);
    try {
      if (!java.nio.file.Files.isDirectory(dir)) {
        try {
          java.nio.file.Files.createDirectories(
              dir,
              java.nio.file.attribute.PosixFilePermissions.asFileAttribute(
                  java.nio.file.attribute.PosixFilePermissions.fromString("rwx------")));
        } catch (UnsupportedOperationException e) {
          java.nio.file.Files.createDirectories(dir); // no POSIX permissions here (Windows)
        }
      }
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(
          "TrainRouter: cannot create the checkpoint directory "
              + dir
              + " (set TrainRouter.withTempLocation): "
              + e.getMessage(),
          e);
    }
    return dir;
  }

  /**
   * The checkpoint file of cache step {@code k} of the run identified by the fingerprints, settings
   * and start point (null: the seed's routers, whose runs keep the directories they had before warm
   * starts existed).
   */
  Path file(
      @Nullable String pipelineTempLocation,
      String modelFingerprint,
      String dataFingerprint,
      TrainingSettings runSettings,
      @Nullable String startPoint,
      int cacheStep) {
    String identity =
        modelFingerprint
            + "|"
            + dataFingerprint
            + "|"
            + runSettings.toJson()
            + (startPoint == null ? "" : "|warm-start " + startPoint);
    String run = ModelFiles.sha256(identity).substring(0, 20);
    return base(pipelineTempLocation)
        .resolve(DIRECTORY)
        .resolve(run)
        .resolve("cache-step-" + cacheStep + ".train.safetensors");
  }

  @Nullable String explicitBase() {
    return explicitBase;
  }

  private static Path local(String location) {
    return location.startsWith("file://")
        ? Path.of(java.net.URI.create(location))
        : Path.of(location);
  }
}
