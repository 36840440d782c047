package org.l2cbeam.pipelines.benchmark;

import java.io.Serializable;
import org.l2cbeam.beam.ArtifactFile;
import org.l2cbeam.core.io.AtomicFile;

/**
 * The benchmark's output directory, local or remote; every file in it is written whole or not at
 * all.
 */
final class OutputFolder implements Serializable {
  private final String location;

  OutputFolder(String location) {
    this.location = location;
  }

  String file(String name) {
    return ArtifactFile.join(location, name);
  }

  void write(String name, AtomicFile.Writer content) {
    ArtifactFile.write(file(name), content);
  }

  @Override
  public String toString() {
    return location;
  }
}
