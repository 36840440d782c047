package org.l2cbeam.core.router.train;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;
import org.l2cbeam.core.image.ImageBatch;
import org.l2cbeam.core.io.SafetensorsWriter;
import org.l2cbeam.core.io.TensorData;

/**
 * Data fingerprints are stored in training checkpoints and router artifacts, and a resume is
 * refused when they differ: the hex values pinned here must never change, whatever the code that
 * computes them.
 */
public class TrainingExamplesFingerprintTest {
  @Rule public TemporaryFolder tmp = new TemporaryFolder();

  @Test
  public void inMemoryExamplesKeepTheirFingerprintAndAccessors() {
    float[] values = {0f, 0.5f, -1f, 2f, 3.25f, -0f, 1e-7f, 7f};
    InMemoryExamples e =
        new InMemoryExamples(new int[] {1, 2, 2}, values, new int[] {3, 7}, "two examples");
    assertEquals(2, e.size());
    assertArrayEquals(new int[] {1, 2, 2}, e.exampleShape());
    assertEquals(7, e.label(1));
    assertEquals("two examples", e.source());
    float[] second = new float[5];
    e.copyExample(1, second, 1);
    assertArrayEquals(new float[] {0f, 3.25f, -0f, 1e-7f, 7f}, second, 0f);
    assertEquals(
        "b0acc0be668b64e56bf62fd7613d011de6113ce17e4fd44c11aaf4ed818ab7a8", e.fingerprint());
  }

  @Test
  public void pixelExamplesKeepTheirFingerprint() {
    byte[] pixels = {0, 10, (byte) 200, (byte) 255, 1, 2, 3, 4};
    PixelExamples e =
        new PixelExamples(
            new ImageBatch(2, 2, 2, 1, pixels), new byte[] {1, (byte) 250}, 1, "pixels");
    assertEquals(250, e.label(1));
    assertEquals(
        "486bc7fddfa044bf38968a8235ad200d6b38094fa6fddb8dc316749d8762db8b", e.fingerprint());
  }

  @Test
  public void latentExamplesAreFingerprintedByTheirFileBytes() throws Exception {
    Path file = tmp.getRoot().toPath().resolve("latents.safetensors");
    Map<String, TensorData> tensors = new LinkedHashMap<>();
    tensors.put("x", TensorData.ofFloats(new long[] {2, 1, 1, 2}, new float[] {1f, 2f, 3f, 4f}));
    tensors.put("y", TensorData.ofLongs(new long[] {2}, new long[] {5, 1L << 40}));
    SafetensorsWriter.write(file, tensors);
    LatentExamples e = LatentExamples.open(file);
    String expected =
        HexFormat.of()
            .formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(file)));
    assertEquals(expected, e.fingerprint());
    assertEquals(file.toString(), e.source());
    assertEquals(2, e.size());
    assertEquals(5, e.label(0));
    assertEquals("a label outside int range is no class", -1, e.label(1));
    float[] second = new float[2];
    e.copyExample(1, second, 0);
    assertArrayEquals(new float[] {3f, 4f}, second, 0f);
  }
}
