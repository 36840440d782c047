package org.l2cbeam.core.io;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.Assume;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/**
 * Outputs are checked before any work, with errors naming the option; killed runs' temporary files
 * are cleaned.
 */
public class OutputFileTest {
  @Rule public TemporaryFolder tmp = new TemporaryFolder();

  private String fails(Runnable check) {
    return assertThrows(IllegalArgumentException.class, check::run).getMessage();
  }

  @Test
  public void aDirectoryIsNotAnOutputFile() {
    Path dir = tmp.getRoot().toPath();
    assertEquals(
        "--output " + dir + ": is a directory; give a file name",
        fails(() -> OutputFile.check(dir, "--output")));
  }

  @Test
  public void aFileInTheWayOfTheFoldersIsNamed() throws Exception {
    Path file = tmp.newFile("plain").toPath();
    Path target = file.resolve("sub/out.safetensors");
    assertThat(
        fails(() -> OutputFile.check(target, "--out")),
        containsString(
            "--out "
                + target
                + ": cannot create folder "
                + target.getParent()
                + ", because "
                + file
                + " is a file"));
    assertThat(
        fails(() -> OutputFile.checkFolder(file, "--out")),
        containsString("--out " + file + ": is a file"));
  }

  @Test
  public void aFolderThatRefusesNewFilesIsFoundByReallyWriting() {
    // sysfs refuses new files even to root, although access(2) reports it writable.
    Path sys = Path.of("/sys/kernel");
    Assume.assumeTrue(Files.isDirectory(sys));
    assertEquals(
        "--output /sys/kernel/x.safetensors: cannot write in /sys/kernel: permission denied",
        fails(() -> OutputFile.check(sys.resolve("x.safetensors"), "--output")));
    assertThat(
        fails(() -> OutputFile.checkFolder(sys.resolve("a/b"), "--output")),
        containsString("cannot write in /sys/kernel: permission denied"));
  }

  @Test
  public void missingFoldersAreFineWhenTheirParentIsWritable() {
    OutputFile.check(tmp.getRoot().toPath().resolve("a/b/c.json"), "--out");
    OutputFile.checkFolder(tmp.getRoot().toPath().resolve("x/y"), "--output");
    assertTrue("nothing was created", !Files.exists(tmp.getRoot().toPath().resolve("a")));
  }

  @Test
  public void tooLittleFreeSpaceIsRefusedWithTheFigures() {
    Path target = tmp.getRoot().toPath().resolve("big.safetensors");
    assertThat(
        fails(() -> OutputFile.checkFreeSpace(target, "--output", Long.MAX_VALUE / 2)),
        containsString("--output " + target + ": needs about"));
    OutputFile.checkFreeSpace(target, "--output", 1);
  }

  @Test
  public void checkingRemovesTheTargetsStalePartialFilesOnly() throws Exception {
    Path dir = tmp.getRoot().toPath();
    Files.write(dir.resolve(".out.json.123.partial"), new byte[3]);
    Files.write(dir.resolve(".out.json.456.partial"), new byte[3]);
    Files.write(dir.resolve(".other.json.789.partial"), new byte[3]);
    Files.write(dir.resolve("out.json"), new byte[3]);
    OutputFile.check(dir.resolve("out.json"), "--out");
    try (Stream<Path> files = Files.list(dir)) {
      assertEquals(
          List.of(".other.json.789.partial", "out.json"),
          files.map(p -> p.getFileName().toString()).sorted().toList());
    }
  }
}
