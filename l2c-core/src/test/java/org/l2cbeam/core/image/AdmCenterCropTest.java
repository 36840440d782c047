package org.l2cbeam.core.image;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import org.junit.Test;
import org.l2cbeam.core.TestResources;

/**
 * ADM's center crop: hand-computed cases, and Pillow's own output ({@code
 * image/adm_center_crop.json}, written by {@code make_center_crop_vectors.py} with Pillow 9.4) for
 * bicubic down- and upscaling, non-exact BOX halving, both together, and an ImageNet-sized 500x375
 * image.
 */
public class AdmCenterCropTest {
  /** The pattern of make_center_crop_vectors.py: ramps plus sharp edges, RGB. */
  static ImageBatch pattern(int w, int h) {
    byte[] p = new byte[w * h * 3];
    for (int y = 0; y < h; y++) {
      for (int x = 0; x < w; x++) {
        for (int c = 0; c < 3; c++) {
          p[(y * w + x) * 3 + c] = (byte) ((x * 37 + y * 91 + c * 53 + (x * y * 7) % 31) % 256);
        }
      }
    }
    return new ImageBatch(1, h, w, 3, p);
  }

  private static ImageBatch grey(int w, int h, int... values) {
    byte[] p = new byte[w * h];
    for (int i = 0; i < p.length; i++) p[i] = (byte) values[i];
    return new ImageBatch(1, h, w, 1, p);
  }

  private static int[] unsigned(ImageBatch b) {
    int[] out = new int[b.pixels().length];
    for (int i = 0; i < out.length; i++) out[i] = b.pixels()[i] & 0xff;
    return out;
  }

  @Test
  public void anImageWhoseShortSideIsTheSizeIsOnlyCropped() {
    // 6 wide, 4 high, size 4: scale 1 (no resize), crop_x = (6 - 4) // 2 = 1, crop_y = 0.
    int[] v = new int[24];
    for (int i = 0; i < v.length; i++) v[i] = i * 10;
    ImageBatch out = AdmCenterCrop.apply(grey(6, 4, v), 4);
    assertArrayEquals(
        new int[] {10, 20, 30, 40, 70, 80, 90, 100, 130, 140, 150, 160, 190, 200, 210, 220},
        unsigned(out));
    // Odd margins round the offset down: 7 wide -> crop_x = 1, columns 1..4.
    int[] w = new int[28];
    for (int i = 0; i < w.length; i++) w[i] = i;
    assertArrayEquals(
        new int[] {1, 2, 3, 4, 8, 9, 10, 11, 15, 16, 17, 18, 22, 23, 24, 25},
        unsigned(AdmCenterCrop.apply(grey(7, 4, w), 4)));
  }

  @Test
  public void boxHalvingRoundsEachPassToBytes() {
    // 4x4, size 2: min 4 >= 2*2, so one BOX halving to 2x2 and nothing else. Pillow averages each
    // row pair first
    // and rounds to a byte (floor((a+b+1)/2)), then each column pair of those, so the 2x2 mean of
    // 0,1,0,0 is
    // ((0+1+1)/2 = 1 + 0 + 1)/2 = 1, not round(0.25) = 0.
    ImageBatch out =
        AdmCenterCrop.apply(
            grey(4, 4, 0, 1, 10, 20, 0, 0, 30, 40, 255, 254, 7, 8, 253, 255, 9, 9), 2);
    // block (0,1): rows 10,20 -> 15 and 30,40 -> 35 -> (15+35+1)/2 = 25
    // block (1,0): 255,254 -> 255 (509+1)/2 and 253,255 -> 254 -> (255+254+1)/2 = 255
    // block (1,1): 7,8 -> 8 and 9,9 -> 9 -> (8+9+1)/2 = 9
    assertArrayEquals(new int[] {1, 25, 255, 9}, unsigned(out));
  }

  @Test
  public void matchesPillow() throws Exception {
    JsonObject ref =
        JsonParser.parseString(
                Files.readString(
                    TestResources.path("image/adm_center_crop.json"), StandardCharsets.UTF_8))
            .getAsJsonObject();
    for (JsonElement e : ref.getAsJsonArray("cases")) {
      JsonObject c = e.getAsJsonObject();
      int w = c.get("width").getAsInt();
      int h = c.get("height").getAsInt();
      int size = c.get("size").getAsInt();
      String what = w + "x" + h + " -> " + size;
      ImageBatch out = AdmCenterCrop.apply(pattern(w, h), size);
      assertEquals(what, size, out.width());
      assertEquals(what, size, out.height());
      int[] got = unsigned(out);
      if (c.has("hwc")) {
        JsonArray hwc = c.getAsJsonArray("hwc");
        int[] expected = new int[hwc.size()];
        for (int i = 0; i < expected.length; i++) expected[i] = hwc.get(i).getAsInt();
        assertArrayEquals(what, expected, got);
      }
      long sum = 0;
      long weighted = 0;
      for (int i = 0; i < got.length; i++) {
        sum += got[i];
        weighted += (long) (i % 251 + 1) * got[i];
      }
      assertEquals(what, c.get("sum").getAsLong(), sum);
      assertEquals(what, c.get("weighted").getAsLong(), weighted);
    }
  }
}
