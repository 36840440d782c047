package org.l2cbeam.core.io;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.Locale;

/**
 * Checks an output location before any work is done, so a job that would fail at its final rename
 * (the target is a directory, the folder is read-only, the disk too small) fails at once with an
 * error naming the option instead of after minutes or hours of sampling. Checking also removes the
 * hidden {@code .partial} files that killed runs of {@link AtomicFile} left beside the target.
 */
public final class OutputFile {
  private OutputFile() {}

  /**
   * {@code target} can be written by {@link AtomicFile}: it is not a directory, and its folder (or
   * the nearest existing ancestor, the folders are created on writing) is a directory this process
   * can create files in.
   *
   * @param option the option that named the output, e.g. {@code "--output"}, for the error
   * @throws IllegalArgumentException naming the option, the path and the problem
   */
  public static void check(Path target, String option) {
    if (Files.isDirectory(target)) {
      throw new IllegalArgumentException(
          option + " " + target + ": is a directory; give a file name");
    }
    if (Files.exists(target, LinkOption.NOFOLLOW_LINKS) && !Files.isRegularFile(target)) {
      throw new IllegalArgumentException(
          option
              + " "
              + target
              + ": exists and is not a regular file (a pipe, device or dangling link)");
    }
    Path dir = target.toAbsolutePath().getParent();
    checkWritableFolder(dir, option, target);
    removeStalePartials(target);
  }

  /**
   * A folder a command writes several files into: it is (or can be created as) a writable
   * directory.
   */
  public static void checkFolder(Path dir, String option) {
    if (Files.exists(dir) && !Files.isDirectory(dir)) {
      throw new IllegalArgumentException(option + " " + dir + ": is a file, not a directory");
    }
    checkWritableFolder(dir.toAbsolutePath(), option, dir);
  }

  /**
   * With a known output size: the file system of {@code target} has room for {@code bytes} more.
   */
  public static void checkFreeSpace(Path target, String option, long bytes) {
    Path existing = nearestExisting(target.toAbsolutePath().getParent());
    try {
      long free = Files.getFileStore(existing).getUsableSpace();
      if (free < bytes) {
        throw new IllegalArgumentException(
            String.format(
                Locale.ROOT,
                "%s %s: needs about %s but only %s are free in %s",
                option,
                target,
                size(bytes),
                size(free),
                existing));
      }
    } catch (IOException e) {
      // no free-space figure on this file system: the write itself will tell
    }
  }

  private static void checkWritableFolder(Path dir, String option, Path named) {
    Path existing = nearestExisting(dir);
    if (!Files.isDirectory(existing)) {
      throw new IllegalArgumentException(
          option
              + " "
              + named
              + ": cannot create folder "
              + dir
              + ", because "
              + existing
              + " is a file");
    }
    try {
      // A real file: the only test that also catches read-only mounts, ACLs and a root user's view
      // of permissions.
      Path probe = Files.createTempFile(existing, ".l2c-write-check.", ".partial");
      Files.delete(probe);
    } catch (IOException e) {
      throw new IllegalArgumentException(
          option + " " + named + ": cannot write in " + existing + ": " + IoErrorReason.of(e), e);
    }
  }

  private static Path nearestExisting(Path dir) {
    Path p = dir;
    while (p != null && !Files.exists(p)) p = p.getParent();
    return p == null ? Path.of(".").toAbsolutePath() : p;
  }

  /**
   * Deletes {@code .NAME.*.partial} beside {@code target}: temporary files of {@link AtomicFile}
   * whose writer was killed before it could rename or delete them.
   */
  public static void removeStalePartials(Path target) {
    Path dir = target.toAbsolutePath().getParent();
    if (dir == null || !Files.isDirectory(dir)) return;
    String prefix = "." + target.getFileName() + ".";
    try (DirectoryStream<Path> partials =
        Files.newDirectoryStream(dir, p -> isPartial(p, prefix))) {
      for (Path p : partials) Files.deleteIfExists(p);
    } catch (IOException e) {
      // leftovers are harmless; the write will say if the folder is unusable
    }
  }

  private static boolean isPartial(Path p, String prefix) {
    String name = p.getFileName().toString();
    return name.startsWith(prefix)
        && name.endsWith(".partial")
        && Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS);
  }

  private static String size(long bytes) {
    if (bytes >= 1L << 30)
      return String.format(Locale.ROOT, "%.1f GiB", bytes / (double) (1L << 30));
    return String.format(Locale.ROOT, "%.1f MiB", bytes / (double) (1L << 20));
  }
}
