package org.l2cbeam.core.runtime;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertThrows;
import static org.junit.Assume.assumeTrue;

import com.sun.jna.NativeLibrary;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

public class ConstantFunctionLibraryTest {
  @Rule public TemporaryFolder folder = new TemporaryFolder();

  /** The real dynamic loader accepts the bytes and the exported function returns its constant. */
  @Test
  public void theDynamicLoaderLoadsItAndTheFunctionReturnsItsConstant() throws Exception {
    assumeTrue("an x86-64 Linux library", isLinuxX8664());
    for (int value : new int[] {1, 42, -7}) {
      Path library = folder.newFile("answer" + (value & 0xff) + ".so").toPath();
      Files.write(library, ConstantFunctionLibrary.exporting("l2c_test_answer", value));
      NativeLibrary loaded =
          NativeLibrary.getInstance(library.toString()); // RTLD_LOCAL: nothing else sees it
      try {
        assertEquals(value, loaded.getFunction("l2c_test_answer").invokeInt(new Object[0]));
        assertThrows(UnsatisfiedLinkError.class, () -> loaded.getFunction("l2c_test_other"));
      } finally {
        loaded.close();
      }
    }
  }

  @Test
  public void headerSaysSharedObjectForX8664WithANonExecutableStack() {
    ByteBuffer elf =
        ByteBuffer.wrap(ConstantFunctionLibrary.exporting("f", 1)).order(ByteOrder.LITTLE_ENDIAN);
    assertEquals(0x464c457f, elf.getInt(0)); // \x7fELF
    assertEquals(3, elf.getShort(16)); // ET_DYN
    assertEquals(62, elf.getShort(18)); // EM_X86_64
    int programHeaders = elf.getShort(56);
    boolean stack = false;
    for (int i = 0; i < programHeaders; i++) {
      int header = 64 + i * 56;
      if (elf.getInt(header) == 0x6474e551) {
        stack = true;
        assertEquals("stack flags: read, write, not execute", 6, elf.getInt(header + 4));
      }
    }
    assertEquals("has a PT_GNU_STACK header", true, stack);
  }

  @Test
  public void rejectsNamesThatAreNotCIdentifiers() {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> ConstantFunctionLibrary.exporting("no-such name", 1));
    assertEquals("not a C function name: 'no-such name'", e.getMessage());
  }

  static boolean isLinuxX8664() {
    String arch = System.getProperty("os.arch", "");
    return System.getProperty("os.name", "").startsWith("Linux")
        && (arch.equals("amd64") || arch.equals("x86_64"));
  }
}
