package org.l2cbeam.core.fid;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import java.nio.file.Path;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;
import org.l2cbeam.core.TestResources;
import org.l2cbeam.core.assets.BuiltinAssets;
import org.l2cbeam.core.io.CheckpointFormatException;

public class FidStatsTest {
  @Rule public TemporaryFolder tmp = new TemporaryFolder();

  @Test
  public void readsPytorchFidStatsAndWritesThemBack() throws Exception {
    Path reference = BuiltinAssets.resolve("builtin:fmnist-test-stats");
    assertTrue(FidStats.isStatsFile(reference));
    FidStats stats = FidStats.read(reference);
    assertEquals(128, stats.dim());
    Path copy = tmp.getRoot().toPath().resolve("copy.npz");
    stats.write(copy);
    FidStats back = FidStats.read(copy);
    assertArrayEquals(stats.mu(), back.mu(), 0);
    assertArrayEquals(stats.sigma(), back.sigma(), 0);
    assertEquals(0.0, FrechetDistance.compute(stats, back), 1e-9);
  }

  @Test
  public void imageArchivesAreNotStats() {
    Path images = TestResources.path("npz/mixed_stored.npz");
    assertFalse(FidStats.isStatsFile(images));
    CheckpointFormatException e =
        assertThrows(CheckpointFormatException.class, () -> FidStats.read(images));
    assertThat(e.getMessage(), containsString("mixed_stored.npz"));
    assertThat(e.getMessage(), containsString("needs arrays 'mu' and 'sigma'"));
  }
}
