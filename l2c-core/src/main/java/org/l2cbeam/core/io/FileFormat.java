package org.l2cbeam.core.io;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/**
 * What a file is, told from its first bytes (never from its name): readers pick their parser by
 * content, and a file that is none of the formats a command reads is reported as what it is ("a
 * gzip file", "a PNG image", "text") instead of failing inside the wrong parser with that parser's
 * wording.
 */
public enum FileFormat {
  TORCH_ZIP("a zip archive (torch.save checkpoint)"),
  TORCH_LEGACY("a pre-1.6 torch.save pickle"),
  SAFETENSORS("a safetensors file"),
  JSON("a JSON document"),
  NPY("a NumPy .npy array"),
  GZIP("a gzip file"),
  PNG("a PNG image"),
  JPEG("a JPEG image"),
  HDF5("an HDF5 file (e.g. a Keras .h5)"),
  GGUF("a GGUF model file"),
  TEXT("a text file"),
  EMPTY("an empty file"),
  UNKNOWN("not a recognised format");

  private static final int SNIFF = 16;
  private final String description;

  FileFormat(String description) {
    this.description = description;
  }

  /** What the format is, in words, e.g. "a gzip file". */
  public String description() {
    return description;
  }

  /** The format of {@code file}, from its first bytes; errors name the file. */
  public static FileFormat detect(Path file) {
    byte[] head = new byte[SNIFF];
    int n;
    try (InputStream in = Files.newInputStream(file)) {
      n = in.readNBytes(head, 0, head.length);
    } catch (IOException e) {
      throw new CheckpointFormatException(file, InputFile.readProblem(e), e);
    }
    return detect(head, n);
  }

  static FileFormat detect(byte[] b, int n) {
    if (n == 0) return EMPTY;
    if (starts(b, n, 'P', 'K', 3, 4) || starts(b, n, 'P', 'K', 5, 6)) return TORCH_ZIP;
    // Safetensors first: its header length may begin with the bytes of a pickle's PROTO opcode
    // (0x80 0x03...).
    if (n >= 9 && b[8] == '{') {
      long headerLength = ByteBuffer.wrap(b, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
      if (headerLength >= 2) return SAFETENSORS;
    }
    if (n >= 2 && (b[0] & 0xff) == 0x80 && b[1] >= 2 && b[1] <= 5) return TORCH_LEGACY;
    if (starts(b, n, 0x93, 'N', 'U', 'M', 'P', 'Y')) return NPY;
    if (starts(b, n, 0x1f, 0x8b)) return GZIP;
    if (starts(b, n, 0x89, 'P', 'N', 'G')) return PNG;
    if (starts(b, n, 0xff, 0xd8, 0xff)) return JPEG;
    if (starts(b, n, 0x89, 'H', 'D', 'F')) return HDF5;
    if (starts(b, n, 'G', 'G', 'U', 'F')) return GGUF;
    int first = 0;
    while (first < n && Character.isWhitespace(b[first])) first++;
    if (first < n && (b[first] == '{' || b[first] == '[')) return JSON;
    return isText(b, n) ? TEXT : UNKNOWN;
  }

  /**
   * What {@code file} of this format is, for an error about a file of the wrong kind: "it is a gzip
   * file", or for an unrecognised one "its first bytes (07 01 02 03) are not a known format".
   */
  public String whatItIs(Path file) {
    return this == UNKNOWN
        ? "its first bytes (" + firstBytes(file) + ") are not a known format"
        : "it is " + description;
  }

  /** The first bytes of {@code file} in hex. */
  private static String firstBytes(Path file) {
    byte[] head = new byte[8];
    try (InputStream in = Files.newInputStream(file)) {
      int n = in.readNBytes(head, 0, head.length);
      StringBuilder sb = new StringBuilder();
      for (int i = 0; i < n; i++)
        sb.append(i == 0 ? "" : " ").append(String.format(Locale.ROOT, "%02x", head[i]));
      return sb.toString();
    } catch (IOException e) {
      return "?";
    }
  }

  private static boolean starts(byte[] b, int n, int... magic) {
    if (n < magic.length) return false;
    for (int i = 0; i < magic.length; i++) {
      if ((b[i] & 0xff) != magic[i]) return false;
    }
    return true;
  }

  private static boolean isText(byte[] b, int n) {
    for (int i = 0; i < n; i++) {
      int c = b[i] & 0xff;
      if (c < 0x20 && c != '\n' && c != '\r' && c != '\t') return false;
      if (c == 0x7f) return false;
    }
    return true;
  }
}
