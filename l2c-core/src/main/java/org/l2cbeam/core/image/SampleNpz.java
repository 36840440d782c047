package org.l2cbeam.core.image;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;
import org.l2cbeam.core.io.DType;
import org.l2cbeam.core.io.NpzWriter;
import org.l2cbeam.core.io.TensorData;

/**
 * Sample batches as DiT's {@code sample_ddp.py} saves them and ADM's evaluator reads them: one
 * {@code .npz} whose {@code arr_0} is [N, H, W, C] uint8. Read them back with {@link
 * ImageSources#npz}.
 */
public final class SampleNpz {
  private SampleNpz() {}

  /** Writes a batch held in memory (stored entry, like {@code np.savez}); atomic. */
  public static void write(Path target, ImageBatch images) throws IOException {
    NpzWriter.write(
        target,
        Map.of(
            "arr_0",
            TensorData.ofBytes(
                new long[] {images.count(), images.height(), images.width(), images.channels()},
                images.pixels())));
  }

  /**
   * Starts a file of {@code count} images of {@code height x width x channels}, appended batch by
   * batch with {@code write(batch.pixels())} and finished with {@code commit()} (which checks the
   * count and renames into place).
   */
  public static NpzWriter.StreamingArray stream(
      Path target, long count, int height, int width, int channels) throws IOException {
    return NpzWriter.stream(target, "arr_0", DType.U8, new long[] {count, height, width, channels});
  }
}
