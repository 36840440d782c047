package org.l2cbeam.core.io;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;
import org.l2cbeam.core.TestResources;

/** Fixtures under src/test/resources/npz were written by numpy (np.savez, np.savez_compressed). */
public class NpzFileTest {
  @Rule public TemporaryFolder tmp = new TemporaryFolder();

  private static final double[] F8 = {
    0.0,
    0.479425538604203,
    0.8414709848078965,
    0.9974949866040544,
    0.9092974268256817,
    0.5984721441039565
  };

  @Test
  public void readsNumpyArchivesStoredAndDeflated() {
    for (String name : new String[] {"mixed_stored.npz", "mixed_deflated.npz"}) {
      try (NpzFile npz = NpzFile.open(TestResources.path("npz/" + name))) {
        assertEquals(List.of("f8", "f4F", "be", "arr_0", "i64"), npz.names());
        assertArrayEquals(F8, npz.readDoubles("f8"), 0);
        // Fortran order is re-laid in C order
        TensorData f4 = npz.read("f4F");
        assertEquals(DType.F32, f4.dtype());
        assertArrayEquals(new long[] {2, 3}, f4.shape());
        assertArrayEquals(new float[] {0, 1.5f, 3, 4.5f, 6, 7.5f}, f4.toFloatArray(), 0);
        // big-endian is byte-swapped
        assertArrayEquals(new double[] {1.25, -2.5, 3.0}, npz.readDoubles("be"), 0);
        TensorData images = npz.read("arr_0");
        assertEquals(DType.U8, images.dtype());
        assertArrayEquals(new long[] {2, 4, 4, 3}, images.shape());
        assertEquals(95, images.bytes().get(95) & 0xff);
        assertArrayEquals(new long[] {1, -2, 3, 4}, npz.read("i64").toLongArray());
      }
    }
  }

  @Test
  public void writtenArchivesReadBack() throws Exception {
    Path out = tmp.getRoot().toPath().resolve("sub/out.npz");
    Map<String, TensorData> arrays = new LinkedHashMap<>();
    arrays.put("mu", TensorData.ofDoubles(new long[] {3}, new double[] {1, 2, 3}));
    arrays.put(
        "arr_0",
        TensorData.ofBytes(new long[] {1, 2, 2, 1}, new byte[] {0, 127, (byte) 200, (byte) 255}));
    NpzWriter.write(out, arrays);
    try (NpzFile npz = NpzFile.open(out)) {
      assertEquals(List.of("mu", "arr_0"), npz.names());
      assertArrayEquals(new double[] {1, 2, 3}, npz.readDoubles("mu"), 0);
      assertArrayEquals(new double[] {0, 127, 200, 255}, npz.readDoubles("arr_0"), 0);
      assertEquals("u8[1, 2, 2, 1]", npz.header("arr_0").toString());
    }
    try (java.util.stream.Stream<Path> files = Files.list(out.getParent())) {
      assertEquals("no temporary file left behind", 1, files.count());
    }
  }

  @Test
  public void streamedArrayReadsBackAndAnIncompleteOneLeavesNoFile() throws Exception {
    Path out = tmp.getRoot().toPath().resolve("samples.npz");
    try (NpzWriter.StreamingArray w =
        NpzWriter.stream(out, "arr_0", DType.U8, new long[] {3, 2, 2, 3})) {
      for (int i = 0; i < 3; i++) {
        byte[] image = new byte[12];
        java.util.Arrays.fill(image, (byte) (i * 100));
        w.write(image);
      }
      w.commit();
    }
    try (NpzFile npz = NpzFile.open(out)) {
      double[] v = npz.readDoubles("arr_0");
      assertEquals(36, v.length);
      assertEquals(200, v[35], 0);
    }
    Path partial = tmp.getRoot().toPath().resolve("partial.npz");
    try (NpzWriter.StreamingArray w =
        NpzWriter.stream(partial, "arr_0", DType.U8, new long[] {3, 2, 2, 3})) {
      w.write(new byte[12]);
      java.io.IOException e = assertThrows(java.io.IOException.class, w::commit);
      assertThat(e.getMessage(), containsString("needs 36"));
    }
    assertFalse(Files.exists(partial));
    try (java.util.stream.Stream<Path> files = Files.list(tmp.getRoot().toPath())) {
      assertEquals(1, files.count());
    }
  }

  @Test
  public void corruptArchivesNameTheFile() {
    Path notZip = TestResources.path("npz/not_a_zip.npz");
    CheckpointFormatException e =
        assertThrows(CheckpointFormatException.class, () -> NpzFile.open(notZip));
    assertThat(e.getMessage(), containsString("not_a_zip.npz"));
    assertThat(e.getMessage(), containsString("not a readable .npz"));

    Path truncated = TestResources.path("npz/truncated.npz");
    e = assertThrows(CheckpointFormatException.class, () -> NpzFile.open(truncated));
    assertThat(e.getMessage(), containsString("truncated.npz"));

    Path corrupt = TestResources.path("npz/corrupt_entry.npz");
    try (NpzFile npz = NpzFile.open(corrupt)) {
      assertTrue(npz.contains("mu"));
      e = assertThrows(CheckpointFormatException.class, () -> npz.read("mu"));
      assertThat(e.getMessage(), containsString("corrupt_entry.npz"));
      assertThat(e.getMessage(), containsString("'mu'"));
      assertEquals(3, npz.read("sigma").shape()[0]);
      e = assertThrows(CheckpointFormatException.class, () -> npz.read("nope"));
      assertThat(e.getMessage(), containsString("no array 'nope' (arrays: [mu, sigma])"));
    }
  }

  @Test
  public void objectArraysAreRefused() {
    try (NpzFile npz = NpzFile.open(TestResources.path("npz/object_array.npz"))) {
      CheckpointFormatException e =
          assertThrows(CheckpointFormatException.class, () -> npz.read("obj"));
      assertThat(e.getMessage(), containsString("object_array.npz"));
      assertThat(e.getMessage(), containsString("unsupported dtype '|O'"));
    }
  }

  @Test
  public void missingFileIsNamed() {
    Path missing = tmp.getRoot().toPath().resolve("missing.npz");
    CheckpointFormatException e =
        assertThrows(CheckpointFormatException.class, () -> NpzFile.open(missing));
    assertThat(e.getMessage(), containsString("missing.npz: no such file"));
  }

  @Test
  public void anArrayLargerThanItsEntryIsRefusedBeforeReading() throws Exception {
    Path whole = tmp.getRoot().toPath().resolve("whole.npz");
    NpzWriter.write(whole, Map.of("mu", TensorData.ofDoubles(new long[] {1000}, new double[1000])));
    // The same array header with only 200 data bytes behind it, as a corrupt or hostile archive
    // has.
    Path cut = tmp.getRoot().toPath().resolve("cut.npz");
    try (java.util.zip.ZipFile zip = new java.util.zip.ZipFile(whole.toFile());
        java.util.zip.ZipOutputStream out =
            new java.util.zip.ZipOutputStream(Files.newOutputStream(cut))) {
      byte[] npy = zip.getInputStream(zip.getEntry("mu.npy")).readAllBytes();
      out.putNextEntry(new java.util.zip.ZipEntry("mu.npy"));
      out.write(npy, 0, npy.length - 8000 + 200);
      out.closeEntry();
    }
    try (NpzFile npz = NpzFile.open(cut)) {
      CheckpointFormatException e =
          assertThrows(CheckpointFormatException.class, () -> npz.read("mu"));
      assertThat(
          e.getMessage(), containsString("declares 8000 data bytes, but its .npz entry holds"));
    }
  }
}
