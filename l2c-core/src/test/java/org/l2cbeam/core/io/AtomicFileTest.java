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
      assertEquals("cannot write " + f + ": disk full", expected.getMessage());
    }
    assertEquals("old", Files.readString(f));
    try (var s = Files.list(tmp.getRoot().toPath())) {
      assertFalse(
          "no temp file left", s.anyMatch(p -> p.getFileName().toString().endsWith(".partial")));
    }
  }

  @Test
  public void aFullDiskIsReportedWithTheTargetsName() throws IOException {
    Path devFull = Path.of("/dev/full");
    org.junit.Assume.assumeTrue("Linux /dev/full", Files.exists(devFull));
    Path f = tmp.getRoot().toPath().resolve("samples.safetensors");
    try {
      // The writer's output really meets ENOSPC: what a full file system gives the temporary file.
      AtomicFile.write(
          f,
          out -> {
            try (var full = Files.newOutputStream(devFull)) {
              full.write(new byte[1 << 16]);
              full.flush();
            }
          });
      fail("expected ENOSPC");
    } catch (IOException e) {
      assertEquals("cannot write " + f + ": No space left on device", e.getMessage());
    }
    assertFalse(Files.exists(f));
  }

  @Test
  public void writeAllPublishesEveryFileOrNone() throws IOException {
    Path npz = tmp.getRoot().toPath().resolve("out/samples.npz");
    Path png = tmp.getRoot().toPath().resolve("out/samples.png");
    java.util.Map<Path, AtomicFile.Writer> files = new java.util.LinkedHashMap<>();
    files.put(npz, out -> out.write(1));
    files.put(
        png,
        out -> {
          throw new IOException("No space left on device");
        });
    try {
      AtomicFile.writeAll(files);
      fail("expected the second file to fail");
    } catch (IOException e) {
      assertEquals("cannot write " + png + ": No space left on device", e.getMessage());
    }
    assertFalse("the first file is not published alone", Files.exists(npz));
    try (var s = Files.list(npz.getParent())) {
      assertEquals("nothing left", 0, s.count());
    }
    files.put(png, out -> out.write(2));
    AtomicFile.writeAll(files);
    assertEquals(1, Files.readAllBytes(npz)[0]);
    assertEquals(2, Files.readAllBytes(png)[0]);
  }
}
