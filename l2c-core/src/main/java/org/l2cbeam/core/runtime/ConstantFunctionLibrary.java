package org.l2cbeam.core.runtime;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/**
 * The bytes of the smallest x86-64 Linux shared library that exports one function, {@code int
 * NAME(void)}, returning a constant. {@link MklDispatch} needs exactly such a library and must not
 * depend on a C compiler being installed wherever the JVM runs (a notebook, a Dataflow worker
 * image), so it is written here, in the format the dynamic loader reads, and nowhere else.
 *
 * <p>Layout: the ELF header; four program headers (a read+execute segment holding the symbol tables
 * and the code, a read+write segment holding the dynamic section, which older loaders relocate in
 * place, the dynamic section itself, and a non-executable stack, without which glibc would make the
 * whole process's stack executable); a SysV symbol hash table with one bucket; the symbol table
 * (the reserved null symbol, then the function); the string table; the code, {@code mov eax, imm32;
 * ret}; and the dynamic section naming the tables. No section headers: the loader never reads them.
 */
final class ConstantFunctionLibrary {
  private static final int ELF_HEADER = 64;
  private static final int PROGRAM_HEADER = 56;
  private static final int PROGRAM_HEADERS = 4;
  private static final int SYMBOL = 24;
  private static final int PAGE = 0x1000;

  private static final int PT_LOAD = 1;
  private static final int PT_DYNAMIC = 2;
  private static final int PT_GNU_STACK = 0x6474e551;
  private static final int PF_X = 1;
  private static final int PF_W = 2;
  private static final int PF_R = 4;

  private static final long DT_NULL = 0;
  private static final long DT_HASH = 4;
  private static final long DT_STRTAB = 5;
  private static final long DT_SYMTAB = 6;
  private static final long DT_STRSZ = 10;
  private static final long DT_SYMENT = 11;

  private ConstantFunctionLibrary() {}

  /** A shared library exporting {@code int name(void) { return value; }}. */
  static byte[] exporting(String name, int value) {
    if (!name.matches("[A-Za-z_][A-Za-z0-9_]*")) {
      throw new IllegalArgumentException("not a C function name: '" + name + "'");
    }
    byte[] strings = ("\0" + name + "\0").getBytes(StandardCharsets.US_ASCII);
    byte[] code =
        ByteBuffer.allocate(6)
            .order(ByteOrder.LITTLE_ENDIAN)
            .put((byte) 0xb8)
            .putInt(value)
            .put((byte) 0xc3)
            .array(); // mov eax, value; ret

    int hashTable = ELF_HEADER + PROGRAM_HEADERS * PROGRAM_HEADER;
    int symbolTable = hashTable + 4 * Integer.BYTES;
    int stringTable = symbolTable + 2 * SYMBOL;
    int text = align(stringTable + strings.length, 16);
    int readOnlyEnd = text + code.length;
    int dynamic = PAGE; // its own page, so that its segment can be writable while the code's is not
    int dynamicSize = 6 * 2 * Long.BYTES;

    // Virtual addresses equal file offsets: the library is position-independent and the loader adds
    // its base.
    ByteBuffer elf = ByteBuffer.allocate(dynamic + dynamicSize).order(ByteOrder.LITTLE_ENDIAN);
    elf.put(
        new byte[] {
          0x7f, 'E', 'L', 'F', 2 /* 64-bit */, 1 /* little-endian */, 1 /* version */, 0 /* SysV */
        });
    elf.put(new byte[8]);
    elf.putShort((short) 3); // ET_DYN
    elf.putShort((short) 62); // EM_X86_64
    elf.putInt(1); // EV_CURRENT
    elf.putLong(0); // no entry point
    elf.putLong(ELF_HEADER); // program headers follow the header
    elf.putLong(0); // no section headers
    elf.putInt(0); // flags
    elf.putShort((short) ELF_HEADER)
        .putShort((short) PROGRAM_HEADER)
        .putShort((short) PROGRAM_HEADERS);
    elf.putShort((short) 64)
        .putShort((short) 0)
        .putShort((short) 0); // section header size, count, names index

    programHeader(elf, PT_LOAD, PF_R | PF_X, 0, readOnlyEnd, PAGE);
    programHeader(elf, PT_LOAD, PF_R | PF_W, dynamic, dynamicSize, PAGE);
    programHeader(elf, PT_DYNAMIC, PF_R | PF_W, dynamic, dynamicSize, Long.BYTES);
    programHeader(elf, PT_GNU_STACK, PF_R | PF_W, 0, 0, 16);

    // One bucket holding symbol 1; every chain ends at once.
    elf.position(hashTable).putInt(1).putInt(2).putInt(1).putInt(0);
    // Symbol 0 is the reserved null symbol (all zeros); symbol 1 is the function: global, defined,
    // code.
    elf.position(symbolTable + SYMBOL);
    elf.putInt(1); // name: offset in the string table
    elf.put((byte) 0x12); // STB_GLOBAL << 4 | STT_FUNC
    elf.put((byte) 0); // default visibility
    elf.putShort(
        (short)
            1); // any defined section index (not SHN_UNDEF); there are no section headers to name
    elf.putLong(text).putLong(code.length);
    elf.position(stringTable).put(strings);
    elf.position(text).put(code);

    elf.position(dynamic);
    elf.putLong(DT_HASH).putLong(hashTable);
    elf.putLong(DT_STRTAB).putLong(stringTable);
    elf.putLong(DT_SYMTAB).putLong(symbolTable);
    elf.putLong(DT_STRSZ).putLong(strings.length);
    elf.putLong(DT_SYMENT).putLong(SYMBOL);
    elf.putLong(DT_NULL).putLong(0);
    return elf.array();
  }

  private static void programHeader(
      ByteBuffer elf, int type, int flags, long offset, long size, long alignment) {
    elf.putInt(type).putInt(flags);
    elf.putLong(offset)
        .putLong(offset)
        .putLong(offset); // file offset, virtual and physical address
    elf.putLong(size).putLong(size); // in the file and in memory
    elf.putLong(alignment);
  }

  private static int align(int offset, int alignment) {
    return (offset + alignment - 1) / alignment * alignment;
  }
}
