package org.l2cbeam.core.io;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The header of one {@code .npy} array (NumPy format versions 1.0 to 3.0): element type, byte
 * order, memory order and shape. Only plain numeric dtypes are accepted; object arrays (pickles)
 * are refused, so reading never executes code.
 */
public final class NpyHeader {
  private static final byte[] MAGIC = {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y'};
  private static final Pattern DESCR = Pattern.compile("'descr'\\s*:\\s*'([^']*)'");
  private static final Pattern FORTRAN = Pattern.compile("'fortran_order'\\s*:\\s*(True|False)");
  private static final Pattern SHAPE = Pattern.compile("'shape'\\s*:\\s*\\(([^)]*)\\)");

  private final DType dtype;
  private final ByteOrder byteOrder;
  private final boolean fortranOrder;
  private final long[] shape;

  public NpyHeader(DType dtype, ByteOrder byteOrder, boolean fortranOrder, long[] shape) {
    this.dtype = dtype;
    this.byteOrder = byteOrder;
    this.fortranOrder = fortranOrder;
    this.shape = shape.clone();
  }

  public DType dtype() {
    return dtype;
  }

  public ByteOrder byteOrder() {
    return byteOrder;
  }

  public boolean fortranOrder() {
    return fortranOrder;
  }

  public long[] shape() {
    return shape.clone();
  }

  public long numel() {
    return TensorData.numel(shape);
  }

  public long dataBytes() {
    return numel() * dtype.bytes();
  }

  /**
   * Reads the header from the start of an npy stream, leaving {@code in} at the first data byte.
   * {@code what} names the array in errors (e.g. {@code "stats.npz: mu.npy"}).
   */
  public static NpyHeader read(InputStream in, String what) throws IOException {
    byte[] magic = in.readNBytes(8);
    if (magic.length < 8 || !Arrays.equals(Arrays.copyOf(magic, 6), MAGIC)) {
      throw new IOException(what + ": not an .npy array (bad magic)");
    }
    int major = magic[6] & 0xff;
    long headerLen;
    if (major == 1) {
      byte[] l = in.readNBytes(2);
      if (l.length < 2) throw new IOException(what + ": truncated .npy header");
      headerLen = ByteBuffer.wrap(l).order(ByteOrder.LITTLE_ENDIAN).getShort() & 0xffff;
    } else if (major == 2 || major == 3) {
      byte[] l = in.readNBytes(4);
      if (l.length < 4) throw new IOException(what + ": truncated .npy header");
      headerLen =
          ByteBuffer.wrap(l).order(ByteOrder.LITTLE_ENDIAN).getInt() & 0xffffffffL; // unsigned
    } else {
      throw new IOException(what + ": unsupported .npy format version " + major);
    }
    if (headerLen < 0 || headerLen > 1 << 20) {
      throw new IOException(what + ": implausible .npy header length " + headerLen);
    }
    byte[] h = in.readNBytes((int) headerLen);
    if (h.length < headerLen) throw new IOException(what + ": truncated .npy header");
    String dict = new String(h, major == 3 ? StandardCharsets.UTF_8 : StandardCharsets.ISO_8859_1);
    return parse(dict, what);
  }

  static NpyHeader parse(String dict, String what) throws IOException {
    Matcher d = DESCR.matcher(dict);
    Matcher f = FORTRAN.matcher(dict);
    Matcher s = SHAPE.matcher(dict);
    if (!d.find() || !f.find() || !s.find()) {
      throw new IOException(what + ": malformed .npy header " + dict.trim());
    }
    String descr = d.group(1);
    if (descr.length() < 2) throw new IOException(what + ": unsupported dtype '" + descr + "'");
    char order = descr.charAt(0);
    String kind = descr.substring(1);
    ByteOrder byteOrder = order == '>' ? ByteOrder.BIG_ENDIAN : ByteOrder.LITTLE_ENDIAN;
    DType dtype;
    switch (kind) {
      case "f8":
        dtype = DType.F64;
        break;
      case "f4":
        dtype = DType.F32;
        break;
      case "f2":
        dtype = DType.F16;
        break;
      case "i8":
        dtype = DType.I64;
        break;
      case "i4":
        dtype = DType.I32;
        break;
      case "i2":
        dtype = DType.I16;
        break;
      case "i1":
        dtype = DType.I8;
        break;
      case "u1":
        dtype = DType.U8;
        break;
      case "b1":
        dtype = DType.BOOL;
        break;
      default:
        throw new IOException(
            what
                + ": unsupported dtype '"
                + descr
                + "' (numeric float64/float32/float16/int/uint8/bool only)");
    }
    if (order != '<' && order != '>' && order != '|' && order != '=') {
      throw new IOException(what + ": unsupported byte order in dtype '" + descr + "'");
    }
    List<Long> dims = new ArrayList<>();
    for (String part : s.group(1).split(",")) {
      String p = part.trim();
      if (p.isEmpty()) continue;
      try {
        long v = Long.parseLong(p.replace("L", ""));
        if (v < 0) throw new NumberFormatException();
        dims.add(v);
      } catch (NumberFormatException e) {
        throw new IOException(what + ": bad shape (" + s.group(1) + ") in .npy header");
      }
    }
    long[] shape = dims.stream().mapToLong(Long::longValue).toArray();
    return new NpyHeader(dtype, byteOrder, f.group(1).equals("True"), shape);
  }

  /**
   * The serialized header (format 1.0, or 2.0 if it does not fit), padded so data starts 64-byte
   * aligned.
   */
  public byte[] encode() {
    StringBuilder sb = new StringBuilder();
    sb.append("{'descr': '")
        .append(descrString())
        .append("', 'fortran_order': ")
        .append(fortranOrder ? "True" : "False")
        .append(", 'shape': (");
    for (int i = 0; i < shape.length; i++) {
      sb.append(shape[i]);
      if (shape.length == 1 || i < shape.length - 1) sb.append(shape.length == 1 ? "," : ", ");
    }
    sb.append("), }");
    byte[] dict = sb.toString().getBytes(StandardCharsets.ISO_8859_1);
    int prefix = 10;
    int version = 1;
    int total = prefix + dict.length + 1;
    if (total + 64 > 65535 + prefix) {
      version = 2;
      prefix = 12;
      total = prefix + dict.length + 1;
    }
    int padded = (total + 63) / 64 * 64;
    ByteBuffer out = ByteBuffer.allocate(padded).order(ByteOrder.LITTLE_ENDIAN);
    out.put(MAGIC).put((byte) version).put((byte) 0);
    int headerLen = padded - prefix;
    if (version == 1) out.putShort((short) headerLen);
    else out.putInt(headerLen);
    out.put(dict);
    while (out.position() < padded - 1) out.put((byte) ' ');
    out.put((byte) '\n');
    return out.array();
  }

  private String descrString() {
    switch (dtype) {
      case F64:
        return "<f8";
      case F32:
        return "<f4";
      case F16:
        return "<f2";
      case I64:
        return "<i8";
      case I32:
        return "<i4";
      case I16:
        return "<i2";
      case I8:
        return "|i1";
      case U8:
        return "|u1";
      case BOOL:
        return "|b1";
      default:
        throw new IllegalArgumentException("no numpy dtype for " + dtype);
    }
  }

  @Override
  public String toString() {
    return dtype.name().toLowerCase(Locale.ROOT)
        + Arrays.toString(shape)
        + (fortranOrder ? " (Fortran order)" : "");
  }
}
