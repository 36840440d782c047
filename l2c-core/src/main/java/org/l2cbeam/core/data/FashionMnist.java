package org.l2cbeam.core.data;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.l2cbeam.core.assets.BuiltinAssets;
import org.l2cbeam.core.image.ImageBatch;
import org.l2cbeam.core.io.CheckpointFormatException;

/**
 * Fashion-MNIST from a directory of IDX files named as upstream ({@code
 * train-images-idx3-ubyte.gz}, {@code t10k-labels-idx1-ubyte}, ...; gzipped or raw). {@link
 * #defaultDirectory()} prefers the system dataset (Debian's {@code dataset-fashion-mnist}: all 60
 * 000 training images) and falls back to the jar's {@code builtin:fashion-mnist} (all 10 000 test
 * images, the first 10 000 training images).
 */
public final class FashionMnist {
  public static final Path SYSTEM_DIRECTORY = Path.of("/usr/share/datasets/fashion-mnist");
  public static final String BUILTIN = "builtin:fashion-mnist";
  public static final int SIZE = 28;

  /** The upstream splits, named by their file prefix. */
  public enum Split {
    TRAIN("train"),
    TEST("t10k");

    private final String prefix;

    Split(String prefix) {
      this.prefix = prefix;
    }

    public String prefix() {
      return prefix;
    }

    /** {@code train} or {@code t10k} (also {@code test}), case-insensitive. */
    public static Split parse(String name) {
      String n = name.toLowerCase(java.util.Locale.ROOT);
      if (n.equals("train")) return TRAIN;
      if (n.equals("t10k") || n.equals("test")) return TEST;
      throw new IllegalArgumentException(
          "unknown Fashion-MNIST split '" + name + "' (train or t10k)");
    }
  }

  private final Path directory;

  private FashionMnist(Path directory) {
    this.directory = directory;
  }

  /**
   * A directory holding {@code <split>-images-idx3-ubyte[.gz]} and {@code
   * <split>-labels-idx1-ubyte[.gz]}.
   */
  public static FashionMnist open(Path directory) {
    if (!Files.isDirectory(directory)) {
      throw new CheckpointFormatException(directory, "no such Fashion-MNIST directory");
    }
    return new FashionMnist(directory);
  }

  /** The system dataset if it is complete, else the bundled subset. */
  public static Path defaultDirectory() {
    if (hasAllFiles(SYSTEM_DIRECTORY)) {
      return SYSTEM_DIRECTORY;
    }
    return BuiltinAssets.resolve(BUILTIN);
  }

  public static FashionMnist openDefault() {
    return open(defaultDirectory());
  }

  public Path directory() {
    return directory;
  }

  /** The split's images as [N, 28, 28, 1] uint8. */
  public ImageBatch images(Split split) {
    return readImages(file(split, "images-idx3-ubyte"));
  }

  /** The split's labels 0..9. */
  public byte[] labels(Split split) {
    IdxFile idx = IdxFile.read(file(split, "labels-idx1-ubyte"));
    if (idx.dims().length != 1) {
      throw new CheckpointFormatException(
          idx.path(), "labels must be 1-d, got " + Arrays.toString(idx.dims()));
    }
    return idx.data();
  }

  /** An IDX image file ([N, H, W] uint8) as a single-channel batch. */
  public static ImageBatch readImages(Path idxFile) {
    IdxFile idx = IdxFile.read(idxFile);
    int[] d = idx.dims();
    if (d.length != 3) {
      throw new CheckpointFormatException(
          idxFile, "IDX images must be [N, H, W], got " + Arrays.toString(d));
    }
    return new ImageBatch(d[0], d[1], d[2], 1, idx.data());
  }

  private Path file(Split split, String kind) {
    Path raw = directory.resolve(split.prefix() + "-" + kind);
    Path gz = directory.resolve(split.prefix() + "-" + kind + ".gz");
    if (Files.isRegularFile(gz)) return gz;
    if (Files.isRegularFile(raw)) return raw;
    throw new CheckpointFormatException(
        directory, "no " + split.prefix() + "-" + kind + "[.gz] in this Fashion-MNIST directory");
  }

  private static boolean hasAllFiles(Path dir) {
    if (!Files.isDirectory(dir)) return false;
    for (Split s : Split.values()) {
      for (String kind : new String[] {"images-idx3-ubyte", "labels-idx1-ubyte"}) {
        String base = s.prefix() + "-" + kind;
        if (!Files.isRegularFile(dir.resolve(base))
            && !Files.isRegularFile(dir.resolve(base + ".gz"))) return false;
      }
    }
    return true;
  }
}
