package org.l2cbeam.core.image;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.FileVisitOption;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.l2cbeam.core.io.CheckpointFormatException;

/**
 * Class-labelled image files laid out as torchvision's {@code ImageFolder} reads them (the original
 * router training's data set, e.g. ImageNet's {@code train/}): every subfolder of the root is a
 * class, labelled by its position among the sorted subfolder names, and holds that class's image
 * files, searched recursively and taken in sorted order (folder path, then file name, as {@code
 * sorted(os.walk(...))} does). A folder of image files without subfolders is one class with label
 * 0. Files with other extensions are skipped; image files that cannot be decoded fail, named, when
 * read.
 */
public final class ImageFolder {
  private final Path root;
  private final List<String> classes;
  private final List<Path> files;
  private final int[] labels;

  private ImageFolder(Path root, List<String> classes, List<Path> files, int[] labels) {
    this.root = root;
    this.classes = Collections.unmodifiableList(classes);
    this.files = Collections.unmodifiableList(files);
    this.labels = labels;
  }

  /** Lists {@code root}; fails, naming the folder, when it is missing or holds no image files. */
  public static ImageFolder open(Path root) {
    if (!Files.isDirectory(root)) {
      throw new CheckpointFormatException(root, "no such image folder");
    }
    List<Path> subfolders;
    List<Path> topLevelImages;
    try (Stream<Path> list = Files.list(root)) {
      List<Path> entries =
          list.sorted(Comparator.comparing(p -> p.getFileName().toString()))
              .collect(Collectors.toList());
      subfolders = entries.stream().filter(Files::isDirectory).collect(Collectors.toList());
      topLevelImages =
          entries.stream().filter(ImageFolder::isImageFile).collect(Collectors.toList());
    } catch (IOException e) {
      throw new CheckpointFormatException(root, "cannot list: " + e.getMessage(), e);
    }
    List<List<Path>> perClass = new ArrayList<>();
    boolean anyClassImages = false;
    for (Path sub : subfolders) {
      List<Path> found = imagesUnder(sub);
      perClass.add(found);
      anyClassImages |= !found.isEmpty();
    }
    List<String> classes = new ArrayList<>();
    List<Path> files = new ArrayList<>();
    List<Integer> labels = new ArrayList<>();
    if (!anyClassImages) {
      if (topLevelImages.isEmpty()) {
        throw new CheckpointFormatException(
            root,
            "no image files ("
                + String.join(", ", ImageSources.EXTENSIONS)
                + ") in this folder or its"
                + " subfolders");
      }
      classes.add(root.getFileName() == null ? root.toString() : root.getFileName().toString());
      files.addAll(topLevelImages);
      topLevelImages.forEach(f -> labels.add(0));
    } else {
      if (!topLevelImages.isEmpty()) {
        throw new CheckpointFormatException(
            root,
            "mixes image files ("
                + topLevelImages.get(0).getFileName()
                + ", ...) with class subfolders: keep"
                + " either one class per subfolder (ImageFolder layout) or a flat folder of images");
      }
      for (int c = 0; c < subfolders.size(); c++) {
        if (perClass.get(c).isEmpty()) {
          throw new CheckpointFormatException(
              subfolders.get(c),
              "class folder holds no image files ("
                  + String.join(", ", ImageSources.EXTENSIONS)
                  + "); every subfolder of "
                  + root
                  + " is a class");
        }
        classes.add(subfolders.get(c).getFileName().toString());
        for (Path f : perClass.get(c)) {
          files.add(f);
          labels.add(c);
        }
      }
    }
    return new ImageFolder(
        root, classes, files, labels.stream().mapToInt(Integer::intValue).toArray());
  }

  /** Whether {@code dir} or any folder below it holds an image file (stops at the first one). */
  public static boolean holdsImages(Path dir) {
    try (Stream<Path> walk = Files.walk(dir, FileVisitOption.FOLLOW_LINKS)) {
      return walk.anyMatch(ImageFolder::isImageFile);
    } catch (IOException | UncheckedIOException e) {
      return false;
    }
  }

  private static List<Path> imagesUnder(Path dir) {
    try (Stream<Path> walk = Files.walk(dir, FileVisitOption.FOLLOW_LINKS)) {
      return walk.filter(ImageFolder::isImageFile)
          .sorted(
              Comparator.comparing((Path p) -> p.getParent().toString())
                  .thenComparing(p -> p.getFileName().toString()))
          .collect(Collectors.toList());
    } catch (IOException e) {
      throw new CheckpointFormatException(dir, "cannot list: " + e.getMessage(), e);
    } catch (UncheckedIOException e) {
      throw new CheckpointFormatException(
          dir, "cannot list: " + e.getCause().getMessage(), e.getCause());
    }
  }

  private static boolean isImageFile(Path p) {
    String n = p.getFileName().toString();
    int dot = n.lastIndexOf('.');
    return dot > 0
        && ImageSources.EXTENSIONS.contains(n.substring(dot + 1).toLowerCase(Locale.ROOT))
        && Files.isRegularFile(p);
  }

  public Path root() {
    return root;
  }

  /** Number of images. */
  public int size() {
    return files.size();
  }

  /**
   * The class names in label order: the sorted subfolder names, or the folder's own name for a flat
   * folder.
   */
  public List<String> classes() {
    return classes;
  }

  public Path file(int index) {
    return files.get(index);
  }

  public int label(int index) {
    return labels[index];
  }

  /**
   * Image {@code index} as {@code [1, H, W, 3]} bytes, converted like PIL's {@code convert('RGB')}.
   */
  public ImageBatch readRgb(int index) {
    Path f = files.get(index);
    BufferedImage img = ImageSources.decode(f);
    byte[] rgb = new byte[img.getHeight() * img.getWidth() * 3];
    ImageSources.writePixels(img, 3, rgb, 0);
    return new ImageBatch(1, img.getHeight(), img.getWidth(), 3, rgb);
  }

  @Override
  public String toString() {
    return root + " (" + files.size() + " images, " + classes.size() + " classes)";
  }
}
