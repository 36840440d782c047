package org.l2cbeam.registry;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.l2cbeam.core.io.IoErrorReason;

/**
 * {@link RegistryStore} on a local (or mounted) directory, with Cloud Storage's guarantees rebuilt
 * from POSIX ones:
 *
 * <ul>
 *   <li>A write goes to a hidden temporary file beside its target first, so an interrupted write
 *       never shows under the target's name.
 *   <li>{@link #createIfAbsent} publishes that file with a hard link, which the kernel refuses
 *       atomically if the target exists, so of two processes creating the same key exactly one
 *       succeeds.
 *   <li>{@link #replaceIfGeneration} compares and renames while holding an exclusive lock on a
 *       hidden lock file beside the target ({@link FileChannel#lock}, which also excludes other
 *       processes; threads of this JVM are serialised first, because the JVM reports a second lock
 *       of its own as an error instead of waiting). The rename is atomic, so readers, who take no
 *       lock, see the old or the new bytes.
 * </ul>
 *
 * <p>A local file has no generation number, so its generation is the sha256 of its bytes. That is
 * as strong as a generation for the registry: the only object it replaces is the latest pointer,
 * whose bytes carry a sequence number that grows with every write, so the same bytes never come
 * back.
 */
public final class LocalDirectoryStore implements RegistryStore {
  /**
   * One monitor per lock file: the JVM's file locks are per process, so its threads must queue
   * before locking.
   */
  private static final ConcurrentHashMap<Path, Object> LOCAL_LOCKS = new ConcurrentHashMap<>();

  private final Path root;

  public LocalDirectoryStore(Path root) {
    this.root = root.toAbsolutePath().normalize();
  }

  @Override
  public Optional<Stored> read(String key) {
    Path file = file(key);
    try {
      byte[] bytes = Files.readAllBytes(file);
      return Optional.of(new Stored(bytes, contentGeneration(bytes)));
    } catch (NoSuchFileException e) {
      return Optional.empty();
    } catch (IOException e) {
      throw new RegistryException(file.toString(), "cannot read: " + IoErrorReason.of(e), e);
    }
  }

  @Override
  public String createIfAbsent(String key, byte[] bytes) {
    Path target = file(key);
    Path tmp = null;
    try {
      tmp = writeTemporary(target, bytes);
      Files.createLink(target, tmp);
      return contentGeneration(bytes);
    } catch (FileAlreadyExistsException e) {
      throw new PreconditionFailedException(target.toString(), "already exists", e);
    } catch (IOException e) {
      throw new RegistryException(target.toString(), "cannot write: " + IoErrorReason.of(e), e);
    } finally {
      deleteQuietly(tmp);
    }
  }

  @Override
  public String replaceIfGeneration(String key, byte[] bytes, String expectedGeneration) {
    Path target = file(key);
    Path lockFile = target.resolveSibling("." + target.getFileName() + ".lock");
    Path tmp = null;
    synchronized (LOCAL_LOCKS.computeIfAbsent(lockFile, k -> new Object())) {
      try (FileChannel channel =
              FileChannel.open(lockFile, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
          FileLock ignored = channel.lock()) {
        Optional<Stored> current = read(key);
        if (current.isEmpty()) {
          throw new PreconditionFailedException(
              target.toString(), "does not exist (expected generation " + expectedGeneration + ")");
        }
        if (!current.get().generation().equals(expectedGeneration)) {
          throw new PreconditionFailedException(
              target.toString(),
              "generation is "
                  + current.get().generation()
                  + ", not the expected "
                  + expectedGeneration);
        }
        tmp = writeTemporary(target, bytes);
        Files.move(
            tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        tmp = null;
        return contentGeneration(bytes);
      } catch (IOException e) {
        throw new RegistryException(target.toString(), "cannot replace: " + IoErrorReason.of(e), e);
      } finally {
        deleteQuietly(tmp);
      }
    }
  }

  @Override
  public List<String> list(String prefix) {
    int slash = prefix.lastIndexOf('/');
    Path start = slash < 0 ? root : file(prefix.substring(0, slash));
    if (!Files.isDirectory(start)) return List.of();
    List<String> keys = new ArrayList<>();
    try {
      Files.walkFileTree(
          start,
          new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult visitFile(Path f, BasicFileAttributes attributes) {
              String key =
                  root.relativize(f).toString().replace(f.getFileSystem().getSeparator(), "/");
              if (attributes.isRegularFile()
                  && !f.getFileName().toString().startsWith(".")
                  && key.startsWith(prefix)) {
                keys.add(key);
              }
              return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFileFailed(Path f, IOException e) throws IOException {
              // Another process's temporary file, renamed or deleted between reading the directory
              // and reading its
              // attributes: it was never an object.
              if (e instanceof NoSuchFileException) return FileVisitResult.CONTINUE;
              throw e;
            }
          });
    } catch (IOException e) {
      throw new RegistryException(start.toString(), "cannot list: " + IoErrorReason.of(e), e);
    }
    return keys;
  }

  @Override
  public String locate(String key) {
    return file(key).toString();
  }

  @Override
  public String root() {
    return root.toString();
  }

  private Path file(String key) {
    Path file = root.resolve(key).normalize();
    if (!file.startsWith(root)) {
      throw new IllegalArgumentException(
          root + ": key '" + key + "' leaves the registry directory");
    }
    return file;
  }

  /**
   * The bytes in a hidden, complete and synced file beside {@code target}, with an ordinary file's
   * permissions.
   */
  private static Path writeTemporary(Path target, byte[] bytes) throws IOException {
    Files.createDirectories(target.getParent());
    Path tmp =
        Files.createTempFile(target.getParent(), "." + target.getFileName() + ".", ".partial");
    try {
      try (FileChannel out = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
        ByteBuffer buffer = ByteBuffer.wrap(bytes);
        while (buffer.hasRemaining()) out.write(buffer);
        out.force(true);
      }
      if (tmp.getFileSystem().supportedFileAttributeViews().contains("posix")) {
        Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rw-r--r--"));
      }
      return tmp;
    } catch (IOException | RuntimeException e) {
      deleteQuietly(tmp);
      throw e;
    }
  }

  private static void deleteQuietly(Path tmp) {
    if (tmp == null) return;
    try {
      Files.deleteIfExists(tmp);
    } catch (IOException ignored) {
      // A leftover hidden .partial file is never read as an object; the next write of the key makes
      // its own.
    }
  }

  static String contentGeneration(byte[] bytes) {
    return RouterRegistry.sha256(bytes);
  }
}
