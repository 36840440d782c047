package org.l2cbeam.pipelines.cli;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.CRC32;
import java.util.zip.Deflater;

/**
 * Generates the hostile inputs of {@link HostileInputTest} (nothing large is checked in):
 * torch.save zips written byte by byte, so that an entry may declare any size and CRC, deflate
 * streams that expand a thousandfold, and pickles of the shape torch writes.
 */
final class HostileFiles {
  private HostileFiles() {}

  /**
   * One zip record: its bytes as stored in the archive, the method, and what the headers declare.
   */
  static final class Entry {
    final String name;
    final boolean deflated;
    final byte[] data;
    final long declaredSize;
    final long crc;

    Entry(String name, boolean deflated, byte[] data, long declaredSize, long crc) {
      this.name = name;
      this.deflated = deflated;
      this.data = data;
      this.declaredSize = declaredSize;
      this.crc = crc;
    }

    /** An honest uncompressed record. */
    static Entry stored(String name, byte[] content) {
      return new Entry(name, false, content, content.length, crc(content));
    }

    /** An honest deflated record. */
    static Entry deflated(String name, byte[] content) {
      return new Entry(name, true, deflate(content), content.length, crc(content));
    }
  }

  /** Writes a zip of {@code entries} (no zip64: every size below 4 GiB). */
  static Path zip(Path file, List<Entry> entries) throws IOException {
    try (OutputStream out = Files.newOutputStream(file)) {
      ByteArrayOutputStream central = new ByteArrayOutputStream();
      long offset = 0;
      for (Entry e : entries) {
        byte[] name = e.name.getBytes(StandardCharsets.UTF_8);
        ByteBuffer local = le(30 + name.length);
        local
            .putInt(0x04034b50)
            .putShort((short) 20)
            .putShort((short) 0)
            .putShort((short) (e.deflated ? 8 : 0))
            .putInt(0)
            .putInt((int) e.crc)
            .putInt(e.data.length)
            .putInt((int) e.declaredSize)
            .putShort((short) name.length)
            .putShort((short) 0)
            .put(name);
        out.write(local.array());
        out.write(e.data);
        ByteBuffer cen = le(46 + name.length);
        cen.putInt(0x02014b50)
            .putShort((short) 20)
            .putShort((short) 20)
            .putShort((short) 0)
            .putShort((short) (e.deflated ? 8 : 0))
            .putInt(0)
            .putInt((int) e.crc)
            .putInt(e.data.length)
            .putInt((int) e.declaredSize)
            .putShort((short) name.length)
            .putShort((short) 0)
            .putShort((short) 0)
            .putShort((short) 0)
            .putShort((short) 0)
            .putInt(0)
            .putInt((int) offset)
            .put(name);
        central.write(cen.array());
        offset += 30 + name.length + e.data.length;
      }
      out.write(central.toByteArray());
      ByteBuffer end = le(22);
      end.putInt(0x06054b50)
          .putShort((short) 0)
          .putShort((short) 0)
          .putShort((short) entries.size())
          .putShort((short) entries.size())
          .putInt(central.size())
          .putInt((int) offset)
          .putShort((short) 0);
      out.write(end.array());
    }
    return file;
  }

  /**
   * A torch.save checkpoint: {@code archive/data.pkl} and the given storage records under {@code
   * archive/data/}.
   */
  static Path torch(Path file, Entry pickle, Entry... storages) throws IOException {
    List<Entry> all = new ArrayList<>();
    all.add(pickle);
    all.add(Entry.stored("archive/byteorder", "little".getBytes(StandardCharsets.US_ASCII)));
    all.addAll(List.of(storages));
    return zip(file, all);
  }

  /**
   * {@code n} zero bytes, deflated: one 16 MiB block compressed with a full flush (so it stands
   * alone) repeated, then the final block. A 1 GiB storage costs about 1 MB on disk and half a
   * second to make.
   */
  static byte[] deflatedZeros(long n) {
    int chunk = 16 << 20;
    if (n % chunk != 0) throw new IllegalArgumentException("a multiple of 16 MiB");
    Deflater d = new Deflater(9, true);
    d.setInput(new byte[chunk]);
    byte[] block = drain(d, Deflater.FULL_FLUSH);
    d.finish();
    byte[] tail = drain(d, Deflater.NO_FLUSH);
    d.end();
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (long i = 0; i < n / chunk; i++) out.writeBytes(block);
    out.writeBytes(tail);
    return out.toByteArray();
  }

  static long crcOfZeros(long n) {
    CRC32 crc = new CRC32();
    byte[] zeros = new byte[1 << 20];
    for (long done = 0; done < n; done += zeros.length)
      crc.update(zeros, 0, (int) Math.min(zeros.length, n - done));
    return crc.getValue();
  }

  static byte[] deflate(byte[] content) {
    Deflater d = new Deflater(9, true);
    d.setInput(content);
    d.finish();
    byte[] out = drain(d, Deflater.NO_FLUSH);
    d.end();
    return out;
  }

  private static byte[] drain(Deflater d, int flush) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    byte[] buf = new byte[1 << 16];
    while (true) {
      int k = d.deflate(buf, 0, buf.length, flush);
      out.write(buf, 0, k);
      if (d.finished() || (k < buf.length && d.needsInput())) break;
    }
    return out.toByteArray();
  }

  static long crc(byte[] content) {
    CRC32 crc = new CRC32();
    crc.update(content);
    return crc.getValue();
  }

  /**
   * A state dict {@code {name: FloatTensor[numel]}} on storage {@code data/0}, as torch pickles it
   * (protocol 2).
   */
  static byte[] floatStateDict(String name, long numel) {
    Pickle p =
        new Pickle().proto().op('}').str(name).global("torch._utils", "_rebuild_tensor_v2").op('(');
    p.op('(')
        .str("storage")
        .global("torch", "FloatStorage")
        .str("0")
        .str("cpu")
        .integer(numel)
        .op('t')
        .op('Q');
    p.integer(0).op('(').integer(numel).op('t').op('(').integer(1).op('t').op(0x89);
    p.global("collections", "OrderedDict").op(')').op('R');
    return p.op('t').op('R').op('s').op('.').bytes();
  }

  /** The little-endian bytes of {@code values}. */
  static byte[] floats(float... values) {
    ByteBuffer b = le(4 * values.length);
    for (float v : values) b.putFloat(v);
    return b.array();
  }

  private static ByteBuffer le(int n) {
    return ByteBuffer.allocate(n).order(ByteOrder.LITTLE_ENDIAN);
  }

  /** Writes pickle opcodes. */
  static final class Pickle {
    private final ByteArrayOutputStream b = new ByteArrayOutputStream();

    Pickle proto() {
      return op(0x80).op(2);
    }

    Pickle op(int opcode) {
      b.write(opcode);
      return this;
    }

    Pickle str(String s) {
      byte[] u = s.getBytes(StandardCharsets.UTF_8);
      b.write('X');
      b.writeBytes(le(4).putInt(u.length).array());
      b.writeBytes(u);
      return this;
    }

    Pickle global(String module, String name) {
      b.write('c');
      b.writeBytes((module + "\n" + name + "\n").getBytes(StandardCharsets.US_ASCII));
      return this;
    }

    Pickle integer(long v) {
      if (v != (int) v) throw new IllegalArgumentException("BININT only");
      b.write('J');
      b.writeBytes(le(4).putInt((int) v).array());
      return this;
    }

    /** BINUNICODE8 with {@code n} copies of 'a': a string too large for any state dict. */
    Pickle longString(long n) {
      b.write(0x8d);
      b.writeBytes(le(8).putLong(n).array());
      byte[] a = new byte[1 << 20];
      java.util.Arrays.fill(a, (byte) 'a');
      for (long done = 0; done < n; done += a.length)
        b.write(a, 0, (int) Math.min(a.length, n - done));
      return this;
    }

    Pickle repeat(int times, int... opcodes) {
      for (int i = 0; i < times; i++) for (int o : opcodes) b.write(o);
      return this;
    }

    byte[] bytes() {
      return b.toByteArray();
    }
  }
}
