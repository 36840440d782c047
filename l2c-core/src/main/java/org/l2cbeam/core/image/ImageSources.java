package org.l2cbeam.core.image;

import java.awt.image.BufferedImage;
import java.awt.image.IndexColorModel;
import java.awt.image.Raster;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
import org.l2cbeam.core.data.FashionMnist;
import org.l2cbeam.core.io.CheckpointFormatException;
import org.l2cbeam.core.io.NpyHeader;
import org.l2cbeam.core.io.NpzFile;

/**
 * Opens the image sets FID is computed on: a folder of image files (as pytorch-fid), an {@code
 * .npz} sample batch with {@code arr_0} NHWC uint8 (DiT/ADM, U-ViT), an IDX image file, or a
 * Fashion-MNIST directory (a split of it).
 */
public final class ImageSources {
  /**
   * The extensions pytorch-fid lists (torchvision's ImageFolder lists the same); the ones Java's
   * ImageIO cannot decode fail with the file named.
   */
  static final List<String> EXTENSIONS =
      List.of("bmp", "jpg", "jpeg", "pgm", "png", "ppm", "tif", "tiff", "webp");

  private ImageSources() {}

  /**
   * Opens {@code location}: {@code builtin:fashion-mnist} or a directory of IDX files (then {@code
   * split} is used), a directory of images, an {@code .npz}, or an IDX file ({@code *-ubyte} or
   * {@code *-ubyte.gz}). Folder images are converted to {@code channels} (3: RGB like PIL's {@code
   * convert('RGB')}; 1: PIL's {@code convert('L')}).
   */
  public static ImageSource open(String location, int channels, FashionMnist.Split split) {
    if (location.equals(FashionMnist.BUILTIN)) {
      FashionMnist set = FashionMnist.open(org.l2cbeam.core.assets.BuiltinAssets.resolve(location));
      return of(location + " (" + split.prefix() + ")", set.images(split));
    }
    Path path = Path.of(location);
    if (Files.isDirectory(path)) {
      if (Files.isRegularFile(path.resolve(split.prefix() + "-images-idx3-ubyte.gz"))
          || Files.isRegularFile(path.resolve(split.prefix() + "-images-idx3-ubyte"))) {
        return of(location + " (" + split.prefix() + ")", FashionMnist.open(path).images(split));
      }
      return folder(path, channels);
    }
    if (!Files.isRegularFile(path)) {
      throw new CheckpointFormatException(path, "no such image folder or file");
    }
    String name = path.getFileName().toString().toLowerCase(Locale.ROOT);
    if (name.endsWith(".npz")) {
      return npz(path);
    }
    if (name.endsWith("-ubyte")
        || name.endsWith("-ubyte.gz")
        || name.endsWith(".idx")
        || name.endsWith(".idx.gz")) {
      return of(path.toString(), FashionMnist.readImages(path));
    }
    throw new CheckpointFormatException(
        path,
        "not an image source: expected a directory, an .npz (arr_0) or an IDX file (*-ubyte[.gz])");
  }

  /** Images already in memory. */
  public static ImageSource of(String description, ImageBatch all) {
    return new ImageSource() {
      private int at;

      @Override
      public String description() {
        return description;
      }

      @Override
      public long count() {
        return all.count();
      }

      @Override
      public ImageBatch next(int max) {
        if (at >= all.count()) return null;
        int to = Math.min(all.count(), at + max);
        ImageBatch b = all.slice(at, to);
        at = to;
        return b;
      }

      @Override
      public void close() {}
    };
  }

  /** {@code arr_0} of an npz: [N, H, W, C] (or [N, H, W], grey) uint8, streamed. */
  public static ImageSource npz(Path file) {
    NpzFile npz = NpzFile.open(file);
    try {
      if (!npz.contains("arr_0")) {
        throw new CheckpointFormatException(
            file, "no image array 'arr_0' (arrays: " + npz.names() + ")");
      }
      NpzFile.ArrayStream stream = npz.openArray("arr_0");
      NpyHeader h = stream.header();
      long[] s = h.shape();
      if (h.dtype() != org.l2cbeam.core.io.DType.U8
          || (s.length != 4 && s.length != 3)
          || h.fortranOrder()) {
        stream.close();
        throw new CheckpointFormatException(
            file, "'arr_0' must be C-order uint8 [N, H, W, C] or [N, H, W] images, got " + h);
      }
      int n = Math.toIntExact(s[0]);
      int height = Math.toIntExact(s[1]);
      int width = Math.toIntExact(s[2]);
      int c = s.length == 4 ? Math.toIntExact(s[3]) : 1;
      return new ImageSource() {
        private int at;

        @Override
        public String description() {
          return file.toString();
        }

        @Override
        public long count() {
          return n;
        }

        @Override
        public ImageBatch next(int max) {
          if (at >= n) return null;
          int k = Math.min(max, n - at);
          byte[] bytes = stream.readBytes(Math.multiplyExact(k, height * width * c));
          at += k;
          return new ImageBatch(k, height, width, c, bytes);
        }

        @Override
        public void close() {
          stream.close();
          npz.close();
        }
      };
    } catch (RuntimeException e) {
      npz.close();
      throw e;
    }
  }

  /** Every image file in {@code dir} (sorted by name, not recursive), all of one size. */
  public static ImageSource folder(Path dir, int channels) {
    if (channels != 1 && channels != 3) {
      throw new IllegalArgumentException(
          "folder images convert to 1 or 3 channels, not " + channels);
    }
    List<Path> files;
    try (Stream<Path> list = Files.list(dir)) {
      files =
          list.filter(
                  p -> {
                    String n = p.getFileName().toString();
                    int dot = n.lastIndexOf('.');
                    return dot > 0
                        && EXTENSIONS.contains(n.substring(dot + 1).toLowerCase(Locale.ROOT));
                  })
              .sorted()
              .collect(Collectors.toList());
    } catch (IOException e) {
      throw new CheckpointFormatException(dir, "cannot list: " + e.getMessage(), e);
    }
    if (files.isEmpty()) {
      throw new CheckpointFormatException(
          dir, "no image files (" + EXTENSIONS + ") in this directory");
    }
    return new ImageSource() {
      private int at;
      private int height = -1;
      private int width = -1;

      @Override
      public String description() {
        return dir.toString();
      }

      @Override
      public long count() {
        return files.size();
      }

      @Override
      public ImageBatch next(int max) {
        if (at >= files.size()) return null;
        int k = Math.min(max, files.size() - at);
        byte[] out = null;
        for (int i = 0; i < k; i++) {
          Path f = files.get(at + i);
          BufferedImage img = decode(f);
          if (height < 0) {
            height = img.getHeight();
            width = img.getWidth();
          } else if (img.getHeight() != height || img.getWidth() != width) {
            throw new CheckpointFormatException(
                f,
                "is "
                    + img.getWidth()
                    + "x"
                    + img.getHeight()
                    + ", the folder's images are "
                    + width
                    + "x"
                    + height);
          }
          if (out == null) out = new byte[k * height * width * channels];
          writePixels(img, channels, out, i * height * width * channels);
        }
        at += k;
        return new ImageBatch(k, height, width, channels, out);
      }

      @Override
      public void close() {}
    };
  }

  static BufferedImage decode(Path f) {
    try {
      BufferedImage img = ImageIO.read(f.toFile());
      if (img == null) {
        throw new CheckpointFormatException(
            f, "cannot decode this image format (ImageIO: png, jpeg, bmp, gif)");
      }
      return img;
    } catch (IOException e) {
      throw new CheckpointFormatException(f, "corrupt image: " + e.getMessage(), e);
    }
  }

  /** PIL's convert('RGB') / convert('L') on one decoded image, NHWC bytes at {@code offset}. */
  static void writePixels(BufferedImage img, int channels, byte[] out, int offset) {
    int h = img.getHeight();
    int w = img.getWidth();
    Raster raster = img.getRaster();
    boolean grey = raster.getNumBands() <= 2 && !(img.getColorModel() instanceof IndexColorModel);
    int shift = Math.max(0, img.getColorModel().getComponentSize(0) - 8);
    int o = offset;
    for (int y = 0; y < h; y++) {
      for (int x = 0; x < w; x++) {
        int r;
        int g;
        int b;
        if (grey) {
          // raw sample: getRGB would apply the grey colour space's gamma conversion
          r = g = b = raster.getSample(x, y, 0) >> shift;
        } else {
          int rgb = img.getRGB(x, y);
          r = (rgb >> 16) & 0xff;
          g = (rgb >> 8) & 0xff;
          b = rgb & 0xff;
        }
        if (channels == 3) {
          out[o++] = (byte) r;
          out[o++] = (byte) g;
          out[o++] = (byte) b;
        } else {
          out[o++] = (byte) (grey ? r : (r * 19595 + g * 38470 + b * 7471 + 0x8000) >> 16);
        }
      }
    }
  }
}
