package org.l2cbeam.core.io;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.fail;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

public class AtomicFileTest {
  @Rule public TemporaryFolder tmp = new TemporaryFolder();

  @Test
  public void writtenFileIsAnOrdinaryReadableFile() throws IOException {
    Path f = tmp.getRoot().toPath().resolve("router.json");
    AtomicFile.writeString(f, "{}");
    assertEquals("{}", Files.readString(f));
    assertEquals("rw-r--r--", PosixFilePermissions.toString(Files.getPosixFilePermissions(f)));
  }

  @Test
  public void failedWriteLeavesNothingBehindAndKeepsTheOldFile() throws IOException {
    Path f = tmp.getRoot().toPath().resolve("router.json");
    AtomicFile.writeString(f, "old");
    try {
      AtomicFile.write(
          f,
          out -> {
            out.write("half".getBytes());
            throw new IOException("disk full");
          });
      fail("expected the write to fail");
    } catch (IOException expected) {
      assertEquals("disk full", expected.getMessage());
    }
    assertEquals("old", Files.readString(f));
    try (var s = Files.list(tmp.getRoot().toPath())) {
      assertFalse("no temp file left", s.anyMatch(p -> p.getFileName().toString().endsWith(".partial")));
    }
  }
}
