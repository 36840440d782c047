package org.l2cbeam.core.io;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;

/**
 * Where the bytes of each uncompressed (STORED) record of a zip file start, so that torch storages
 * can be memory-mapped instead of copied onto the heap (torch writes records uncompressed and
 * 64-byte aligned for exactly this). {@link java.util.zip.ZipFile} validates the archive and reads
 * compressed records; it just does not expose data offsets, hence this small reader of the central
 * directory (zip64 included).
 */
final class StoredZipRecords {
  private static final int EOCD = 0x06054b50;
  private static final int ZIP64_LOCATOR = 0x07064b50;
  private static final int ZIP64_EOCD = 0x06064b50;
  private static final int CENTRAL = 0x02014b50;
  private static final int LOCAL = 0x04034b50;
  private static final long U32 = 0xffffffffL;

  /** A STORED record: its bytes are {@code [offset, offset + size)} of the file. */
  static final class Record {
    final long offset;
    final long size;

    Record(long offset, long size) {
      this.offset = offset;
      this.size = size;
    }
  }

  private StoredZipRecords() {}

  /**
   * STORED records by name. Returns an empty map rather than failing when the layout is not
   * understood: callers then fall back to {@link java.util.zip.ZipFile} streams, which report real
   * corruption.
   */
  static Map<String, Record> index(FileChannel ch) {
    try {
      return read(ch);
    } catch (IOException | RuntimeException e) {
      return Map.of();
    }
  }

  private static Map<String, Record> read(FileChannel ch) throws IOException {
    long size = ch.size();
    int tail = (int) Math.min(size, 22 + 65535 + 20);
    ByteBuffer end = read(ch, size - tail, tail);
    int eocd = -1;
    for (int i = tail - 22; i >= 0; i--) {
      if (end.getInt(i) == EOCD) {
        eocd = i;
        break;
      }
    }
    if (eocd < 0) return Map.of();
    long entries = end.getShort(eocd + 10) & 0xffff;
    long cdSize = end.getInt(eocd + 12) & U32;
    long cdOffset = end.getInt(eocd + 16) & U32;
    if ((entries == 0xffff || cdSize == U32 || cdOffset == U32)
        && eocd >= 20
        && end.getInt(eocd - 20) == ZIP64_LOCATOR) {
      long zip64Eocd = end.getLong(eocd - 20 + 8);
      ByteBuffer z = read(ch, zip64Eocd, 56);
      if (z.getInt(0) != ZIP64_EOCD) return Map.of();
      entries = z.getLong(32);
      cdSize = z.getLong(40);
      cdOffset = z.getLong(48);
    }
    if (cdSize > Integer.MAX_VALUE || cdOffset + cdSize > size) return Map.of();
    ByteBuffer cd = read(ch, cdOffset, (int) cdSize);
    Map<String, Record> out = new HashMap<>();
    int p = 0;
    for (long n = 0; n < entries; n++) {
      if (cd.getInt(p) != CENTRAL) return Map.of();
      int method = cd.getShort(p + 10) & 0xffff;
      long compressed = cd.getInt(p + 20) & U32;
      long uncompressed = cd.getInt(p + 24) & U32;
      int nameLen = cd.getShort(p + 28) & 0xffff;
      int extraLen = cd.getShort(p + 30) & 0xffff;
      int commentLen = cd.getShort(p + 32) & 0xffff;
      long local = cd.getInt(p + 42) & U32;
      byte[] nameBytes = new byte[nameLen];
      cd.get(p + 46, nameBytes);
      String name = new String(nameBytes, StandardCharsets.UTF_8);
      // zip64 extra field: the 0xffffffff fields, in this order.
      int e = p + 46 + nameLen;
      int extraEnd = e + extraLen;
      while (e + 4 <= extraEnd) {
        int id = cd.getShort(e) & 0xffff;
        int len = cd.getShort(e + 2) & 0xffff;
        if (id == 0x0001) {
          int q = e + 4;
          if (uncompressed == U32) {
            uncompressed = cd.getLong(q);
            q += 8;
          }
          if (compressed == U32) {
            compressed = cd.getLong(q);
            q += 8;
          }
          if (local == U32) {
            local = cd.getLong(q);
          }
        }
        e += 4 + len;
      }
      if (method == 0 && compressed == uncompressed) {
        ByteBuffer lh = read(ch, local, 30);
        if (lh.getInt(0) != LOCAL) return Map.of();
        long data = local + 30 + (lh.getShort(26) & 0xffff) + (lh.getShort(28) & 0xffff);
        if (data + uncompressed > size) return Map.of();
        out.put(name, new Record(data, uncompressed));
      }
      p += 46 + nameLen + extraLen + commentLen;
    }
    return out;
  }

  private static ByteBuffer read(FileChannel ch, long pos, int len) throws IOException {
    ByteBuffer b = ByteBuffer.allocate(len).order(ByteOrder.LITTLE_ENDIAN);
    while (b.hasRemaining()) {
      if (ch.read(b, pos + b.position()) < 0) throw new IOException("unexpected end of file");
    }
    return b.flip();
  }
}
