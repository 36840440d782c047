package org.l2cbeam.pipelines.benchmark;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.TreeMap;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.values.KV;
import org.l2cbeam.beam.GeneratedSample;
import org.l2cbeam.core.image.ImageBatch;
import org.l2cbeam.core.image.PngGrid;

/**
 * Writes {@code samples-<setting>.png}: one row per class, its first {@code columns} samples by
 * request id.
 */
final class WriteSampleGridFn extends DoFn<KV<String, Iterable<GeneratedSample>>, String> {
  private final OutputFolder out;
  private final int columns;

  WriteSampleGridFn(OutputFolder out, int columns) {
    this.out = out;
    this.columns = columns;
  }

  @ProcessElement
  public void process(
      @Element KV<String, Iterable<GeneratedSample>> setting, OutputReceiver<String> written) {
    TreeMap<Integer, List<GeneratedSample>> byClass = new TreeMap<>();
    for (GeneratedSample s : setting.getValue())
      byClass.computeIfAbsent(s.label(), k -> new ArrayList<>()).add(s);
    int cols = 0;
    for (List<GeneratedSample> l : byClass.values())
      cols = Math.max(cols, Math.min(columns, l.size()));
    GeneratedSample first = byClass.firstEntry().getValue().get(0);
    int per = first.image().length;
    byte[] pixels =
        new byte[byClass.size() * cols * per]; // a class with fewer samples leaves black cells
    int row = 0;
    for (List<GeneratedSample> l : byClass.values()) {
      l.sort(Comparator.comparingLong(GeneratedSample::id));
      for (int c = 0; c < Math.min(cols, l.size()); c++) {
        System.arraycopy(l.get(c).image(), 0, pixels, (row * cols + c) * per, per);
      }
      row++;
    }
    ImageBatch images =
        new ImageBatch(
            byClass.size() * cols, first.height(), first.width(), first.channels(), pixels);
    int rows = byClass.size();
    int gridCols = cols;
    String name = fileName(setting.getKey());
    out.write(name, o -> PngGrid.write(images, rows, gridCols, 2, o));
    written.output(out.file(name));
  }

  /** The grid file of a setting. */
  static String fileName(String setting) {
    return "samples-" + setting + ".png";
  }
}
