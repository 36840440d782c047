package org.l2cbeam.core.runtime.script;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.zip.CRC32;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

/**
 * Writes a TorchScript module archive (what {@code torch.jit.save} produces) from TorchScript
 * source text, in Java: no Python at build or run time. The module has no parameters, buffers or
 * attributes; its methods receive every tensor (weights included) as arguments, so one archive
 * serves every model and every layer.
 *
 * <p>The layout libtorch's loader reads, for an archive named {@code a} holding class {@code C}:
 *
 * <pre>
 *   a/data.pkl        the module object: a pickle (protocol 2) of an instance of __torch__.C with its two
 *                     standard attributes, training = False and _is_full_backward_hook = None
 *   a/code/__torch__.py  the class source in TorchScript's serialized dialect
 *   a/constants.pkl   the constants table: an empty tuple
 *   a/version         the file-format version; 10 or more, or the loader's upgraders rewrite ops such as
 *                     gelu(..., approximate="tanh") that were added later
 *   a/byteorder       "little"
 * </pre>
 *
 * Entries are STORED (uncompressed), as torch writes them.
 */
public final class TorchScriptArchive {
  /** The format version libtorch 2.x writes for modules without upgraded ops. */
  static final String FORMAT_VERSION = "10";

  private TorchScriptArchive() {}

  /**
   * The archive bytes for class {@code className} with TorchScript {@code source} (the body of
   * {@code code/__torch__.py}, a class deriving from {@code Module}).
   */
  public static byte[] write(String archiveName, String className, String source) {
    if (!archiveName.matches("[A-Za-z_][A-Za-z0-9_]*")
        || !className.matches("[A-Za-z_][A-Za-z0-9_]*")) {
      throw new IllegalArgumentException(
          "archive and class names must be identifiers, got '"
              + archiveName
              + "', '"
              + className
              + "'");
    }
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (ZipOutputStream zip = new ZipOutputStream(bytes)) {
      stored(zip, archiveName + "/data.pkl", moduleObjectPickle(className));
      stored(zip, archiveName + "/code/__torch__.py", source.getBytes(StandardCharsets.UTF_8));
      stored(zip, archiveName + "/constants.pkl", new byte[] {(byte) 0x80, 2, ')', '.'});
      stored(zip, archiveName + "/version", FORMAT_VERSION.getBytes(StandardCharsets.US_ASCII));
      stored(zip, archiveName + "/byteorder", "little".getBytes(StandardCharsets.US_ASCII));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return bytes.toByteArray();
  }

  private static void stored(ZipOutputStream zip, String name, byte[] data) throws IOException {
    ZipEntry e = new ZipEntry(name);
    e.setMethod(ZipEntry.STORED);
    e.setSize(data.length);
    e.setCompressedSize(data.length);
    CRC32 crc = new CRC32();
    crc.update(data);
    e.setCrc(crc.getValue());
    zip.putNextEntry(e);
    zip.write(data);
    zip.closeEntry();
  }

  /**
   * {@code pickle.dumps(obj, protocol=2)} of an instance of {@code __torch__.<className>} whose
   * state is {@code {'training': False, '_is_full_backward_hook': None}}: GLOBAL, EMPTY_TUPLE,
   * NEWOBJ, then the state dict and BUILD.
   */
  static byte[] moduleObjectPickle(String className) {
    ByteArrayOutputStream p = new ByteArrayOutputStream();
    p.write(0x80); // PROTO 2
    p.write(2);
    ascii(p, "c__torch__\n" + className + "\n"); // GLOBAL module\nname\n
    p.write('q'); // BINPUT 0
    p.write(0);
    p.write(')'); // EMPTY_TUPLE
    p.write(0x81); // NEWOBJ
    p.write('q'); // BINPUT 1
    p.write(1);
    p.write('}'); // EMPTY_DICT
    p.write('q'); // BINPUT 2
    p.write(2);
    p.write('('); // MARK
    unicode(p, "training");
    p.write('q');
    p.write(3);
    p.write(0x89); // NEWFALSE
    unicode(p, "_is_full_backward_hook");
    p.write('q');
    p.write(4);
    p.write('N'); // NONE
    p.write('u'); // SETITEMS
    p.write('b'); // BUILD
    p.write('.'); // STOP
    return p.toByteArray();
  }

  /** BINUNICODE: 'X', a little-endian 32-bit length, UTF-8 bytes. */
  private static void unicode(ByteArrayOutputStream p, String s) {
    byte[] b = s.getBytes(StandardCharsets.UTF_8);
    p.write('X');
    for (int i = 0; i < 4; i++) p.write((b.length >>> (8 * i)) & 0xff);
    p.write(b, 0, b.length);
  }

  private static void ascii(ByteArrayOutputStream p, String s) {
    byte[] b = s.getBytes(StandardCharsets.US_ASCII);
    p.write(b, 0, b.length);
  }
}
