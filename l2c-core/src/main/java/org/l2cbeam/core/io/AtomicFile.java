package org.l2cbeam.core.io;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * Writes a file under a temporary name in the same directory and renames it into place only when
 * the write succeeded, so a failed run never leaves a half-written artifact under the final name.
 */
public final class AtomicFile {
  private AtomicFile() {}

  /** What writes the file's content. */
  @FunctionalInterface
  public interface Writer {
    void write(OutputStream out) throws IOException;
  }

  /**
   * Writes {@code target} atomically. An I/O error names {@code target} and its cause ("No space
   * left on device", "permission denied"), never only the temporary name, and leaves nothing
   * behind.
   */
  public static void write(Path target, Writer writer) throws IOException {
    writeAll(java.util.Map.of(target, writer));
  }

  /**
   * Writes several files as one publication: every content goes to its temporary file first, and
   * only when all are complete are they renamed into place, so a failure while writing (a full disk
   * at the last file) publishes none of them. If a rename itself fails, the files already renamed
   * are removed again.
   */
  public static void writeAll(java.util.Map<Path, Writer> files) throws IOException {
    java.util.Map<Path, Path> temporaries = new java.util.LinkedHashMap<>();
    java.util.List<Path> renamed = new java.util.ArrayList<>();
    Path current = null;
    boolean ok = false;
    try {
      for (java.util.Map.Entry<Path, Writer> f : files.entrySet()) {
        current = f.getKey();
        Path dir = current.toAbsolutePath().getParent();
        if (dir != null) {
          Files.createDirectories(dir);
        }
        Path tmp = Files.createTempFile(dir, "." + current.getFileName() + ".", ".partial");
        temporaries.put(current, tmp);
        try (OutputStream out = Files.newOutputStream(tmp)) {
          f.getValue().write(out);
        }
        giveOrdinaryPermissions(tmp, current);
      }
      for (java.util.Map.Entry<Path, Path> t : temporaries.entrySet()) {
        current = t.getKey();
        try {
          Files.move(
              t.getValue(),
              current,
              StandardCopyOption.REPLACE_EXISTING,
              StandardCopyOption.ATOMIC_MOVE);
        } catch (java.nio.file.AtomicMoveNotSupportedException e) {
          Files.move(t.getValue(), current, StandardCopyOption.REPLACE_EXISTING);
        }
        renamed.add(current);
      }
      ok = true;
    } catch (IOException e) {
      throw new IOException("cannot write " + current + ": " + IoErrorReason.of(e), e);
    } finally {
      if (!ok) {
        for (Path tmp : temporaries.values()) Files.deleteIfExists(tmp);
        for (Path published : renamed) Files.deleteIfExists(published);
      }
    }
  }

  /**
   * Temp files are created owner-only (0600); an artifact is an ordinary file, so it gets the
   * permissions of the file it replaces, or rw-r--r--.
   */
  private static void giveOrdinaryPermissions(Path tmp, Path target) throws IOException {
    if (!tmp.getFileSystem().supportedFileAttributeViews().contains("posix")) {
      return;
    }
    java.util.Set<java.nio.file.attribute.PosixFilePermission> perms =
        Files.exists(target)
            ? Files.getPosixFilePermissions(target)
            : java.nio.file.attribute.PosixFilePermissions.fromString("rw-r--r--");
    Files.setPosixFilePermissions(tmp, perms);
  }

  public static void writeString(Path target, String content) throws IOException {
    write(target, out -> out.write(content.getBytes(java.nio.charset.StandardCharsets.UTF_8)));
  }
}
