package org.l2cbeam.beam;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.channels.Channels;
import java.nio.file.Path;
import java.util.List;
import org.apache.beam.sdk.io.FileSystems;
import org.apache.beam.sdk.io.fs.MoveOptions.StandardMoveOptions;
import org.apache.beam.sdk.io.fs.ResolveOptions.StandardResolveOptions;
import org.apache.beam.sdk.io.fs.ResourceId;
import org.l2cbeam.core.io.AtomicFile;

/**
 * Writes one output file of a pipeline, local or at any Beam {@code FileSystems} location ({@code gs://...}), so that
 * it appears complete or not at all: the content goes to a temporary sibling first and is then renamed into place.
 */
public final class ArtifactFile {
  private ArtifactFile() {}

  public static void write(String location, AtomicFile.Writer content) {
    try {
      if (!ModelFiles.isRemote(location)) {
        AtomicFile.write(localPath(location), content);
        return;
      }
      ResourceId target = FileSystems.matchNewResource(location, false);
      ResourceId tmp =
          target.getCurrentDirectory()
              .resolve("." + target.getFilename() + ".partial", StandardResolveOptions.RESOLVE_FILE);
      try (OutputStream o = Channels.newOutputStream(FileSystems.create(tmp, "application/octet-stream"))) {
        content.write(o);
      }
      FileSystems.rename(List.of(tmp), List.of(target), StandardMoveOptions.IGNORE_MISSING_FILES);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + location + ": " + e.getMessage(), e);
    }
  }

  /** {@code dir/name} for a local directory or a remote prefix. */
  public static String join(String dir, String name) {
    return dir.endsWith("/") ? dir + name : dir + "/" + name;
  }

  static Path localPath(String location) {
    return location.startsWith("file://") ? Path.of(java.net.URI.create(location)) : Path.of(location);
  }
}
