package org.l2cbeam.core.io;

import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;

/**
 * The system's reason for an I/O error, in words and without file names ("permission denied", "No
 * space left on device", "Read-only file system"): taken from the innermost cause, since writers
 * wrap it ("I/O error writing PNG file!"), so that messages can name the file the user gave instead
 * of a temporary one.
 */
public final class IoErrorReason {
  private IoErrorReason() {}

  public static String of(Throwable e) {
    Throwable root = e;
    while (root.getCause() != null && root.getCause() != root) root = root.getCause();
    if (root instanceof AccessDeniedException) return "permission denied";
    if (root instanceof NoSuchFileException) return "no such file";
    if (root instanceof FileSystemException && ((FileSystemException) root).getReason() != null) {
      return ((FileSystemException) root).getReason();
    }
    if (root.getMessage() != null) return root.getMessage();
    return e.getMessage() != null ? e.getMessage() : root.getClass().getSimpleName();
  }
}
