package org.l2cbeam.core.io;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;

/**
 * Checks a file before a reader opens it, so that what is wrong is said precisely: a missing file,
 * a dangling symbolic link, a directory, a named pipe or device, or a file the user may not read
 * are each reported as what they are (a pipe would otherwise block a reader, and "no such file" for
 * a directory sends the user the wrong way).
 */
public final class InputFile {
  private InputFile() {}

  /**
   * Throws a {@link CheckpointFormatException} naming {@code file} unless it is a readable regular
   * file.
   */
  public static void checkReadable(Path file) {
    String problem = problem(file);
    if (problem != null) {
      throw new CheckpointFormatException(file, problem);
    }
  }

  /** What keeps {@code file} from being read as a regular file, or null if nothing does. */
  public static String problem(Path file) {
    BasicFileAttributes attributes;
    try {
      attributes = Files.readAttributes(file, BasicFileAttributes.class);
    } catch (NoSuchFileException e) {
      if (Files.isSymbolicLink(file)) {
        return "dangling symbolic link (to " + linkTarget(file) + ", which does not exist)";
      }
      Path parent = file.toAbsolutePath().getParent();
      return parent != null && !Files.isDirectory(parent)
          ? "no such file (no directory " + parent + ")"
          : "no such file";
    } catch (IOException e) {
      return readProblem(e);
    }
    if (attributes.isDirectory()) {
      return "is a directory, not a file";
    }
    if (!attributes.isRegularFile()) {
      return "not a regular file (a named pipe, socket or device); give a file on disk";
    }
    if (!Files.isReadable(file)) {
      return "permission denied";
    }
    return null;
  }

  /**
   * The problem an I/O error on reading means, in words: "permission denied", "no such file", or
   * the reason.
   */
  public static String readProblem(IOException e) {
    String reason = IoErrorReason.of(e);
    return reason.equals("permission denied") || reason.equals("no such file")
        ? reason
        : "cannot read: " + reason;
  }

  private static String linkTarget(Path link) {
    try {
      return Files.readSymbolicLink(link).toString();
    } catch (IOException e) {
      return "?";
    }
  }
}
