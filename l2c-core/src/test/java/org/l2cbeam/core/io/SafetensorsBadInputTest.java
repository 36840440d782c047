package org.l2cbeam.core.io;

import static org.l2cbeam.core.io.TorchCheckpointTest.assertFails;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;
import org.l2cbeam.core.TestResources;

/** Each malformed safetensors file gets an error naming the file and the problem. */
public class SafetensorsBadInputTest {
  @Rule public TemporaryFolder tmp = new TemporaryFolder();

  /** A file with the given JSON header followed by {@code dataBytes} zero bytes. */
  private Path file(String header, int dataBytes) throws Exception {
    byte[] json = header.getBytes(StandardCharsets.UTF_8);
    ByteBuffer b = ByteBuffer.allocate(8 + json.length + dataBytes).order(ByteOrder.LITTLE_ENDIAN);
    b.putLong(json.length).put(json);
    Path f = tmp.newFile().toPath();
    Files.write(f, b.array());
    return f;
  }

  /**
   * A file whose header describes one tensor 'a' with these fields, followed by {@code dataBytes}
   * zero bytes.
   */
  private Path tensorA(String dtype, String shape, String dataOffsets, int dataBytes)
      throws Exception {
    String entry =
        "{\"dtype\":\""
            + dtype
            + "\",\"shape\":"
            + shape
            + ",\"data_offsets\":"
            + dataOffsets
            + "}";
    return file("{\"a\":" + entry + "}", dataBytes);
  }

  @Test
  public void truncatedInTheData() throws Exception {
    byte[] whole = Files.readAllBytes(TestResources.vector("dit_model.safetensors"));
    Path cut = tmp.newFile("cut.safetensors").toPath();
    Files.write(cut, Arrays.copyOf(whole, whole.length - 1000));
    assertFails(cut, "outside the data section");
    assertFails(cut, "truncated");
  }

  @Test
  public void truncatedBeforeTheHeaderLength() throws Exception {
    Path cut = tmp.newFile("tiny.safetensors").toPath();
    Files.write(cut, new byte[] {1, 2, 3});
    assertFails(cut, "truncated safetensors file: 3 bytes");
  }

  @Test
  public void headerLengthPastTheEndOfTheFile() throws Exception {
    Path f = tmp.newFile("long-header.safetensors").toPath();
    ByteBuffer b = ByteBuffer.allocate(8 + 16).order(ByteOrder.LITTLE_ENDIAN).putLong(4096);
    Files.write(f, b.array());
    assertFails(f, "header length 4096 runs past the end of the file (24 bytes)");
  }

  @Test
  public void overlappingOffsets() throws Exception {
    Path f =
        file(
            "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                + "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}",
            12);
    assertFails(f, "tensors 'a' and 'b' overlap");
  }

  @Test
  public void offsetsOutOfRange() throws Exception {
    assertFails(
        tensorA("F32", "[2]", "[8,16]", 8),
        "tensor 'a': data_offsets [8, 16] outside the data section of 8 bytes");
  }

  @Test
  public void negativeOffsets() throws Exception {
    assertFails(
        tensorA("F32", "[2]", "[-8,0]", 8),
        "tensor 'a': data_offsets [-8, 0] outside the data section");
  }

  @Test
  public void byteCountDisagreesWithShape() throws Exception {
    assertFails(
        tensorA("F32", "[3]", "[0,8]", 8), "tensor 'a': 8 bytes for shape [3] x F32 (expected 12)");
  }

  @Test
  public void unknownDtype() throws Exception {
    assertFails(tensorA("F8_E4M3", "[2]", "[0,2]", 2), "tensor 'a': unknown dtype 'F8_E4M3'");
  }

  @Test
  public void headerNotJson() throws Exception {
    assertFails(file("{not json", 0), "header is not a JSON object");
  }

  @Test
  public void anUnsignedHeaderLengthIsPrintedUnsigned() throws Exception {
    Path f = tmp.newFile("huge.safetensors").toPath();
    Files.write(f, ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putLong(-1).array());
    assertFails(f, "invalid safetensors header length 18446744073709551615");
  }
}
