package org.l2cbeam.core.runtime;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.Test;

public class NativeAllocatorTest {
  @Test
  public void recognisesTunedAndDefaultEnvironments() {
    assertTrue(NativeAllocator.isTuned(Map.of("GLIBC_TUNABLES", NativeAllocator.TUNABLES)));
    assertTrue(
        NativeAllocator.isTuned(Map.of("GLIBC_TUNABLES", "glibc.malloc.mmap_threshold=131072")));
    assertFalse(NativeAllocator.isTuned(Map.of()));
    assertFalse(NativeAllocator.isTuned(Map.of("GLIBC_TUNABLES", "glibc.rtld.nns=4")));
  }

  /** The test JVM runs with what the launcher sets, so the suite runs the way users run the CLI. */
  @Test
  public void testsRunWithTheTunedAllocator() {
    assertEquals(NativeAllocator.TUNABLES, System.getenv("GLIBC_TUNABLES"));
  }

  /** The launcher and the template images carry the same value as the class that documents it. */
  @Test
  public void launcherAndImageSetTheSameTunables() throws IOException {
    Path root = Path.of(System.getProperty("l2c.repo.root", ".."));
    for (String file : new String[] {"l2c", "templates/Dockerfile", "templates/gpu/Dockerfile"}) {
      String text = Files.readString(root.resolve(file));
      assertTrue(
          file + " sets another value",
          text.contains("GLIBC_TUNABLES=" + NativeAllocator.TUNABLES));
    }
  }
}
