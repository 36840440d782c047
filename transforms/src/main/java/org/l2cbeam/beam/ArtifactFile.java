package org.l2cbeam.beam;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.channels.Channels;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.beam.sdk.io.FileSystems;
import org.apache.beam.sdk.io.fs.MoveOptions.StandardMoveOptions;
import org.apache.beam.sdk.io.fs.ResolveOptions.StandardResolveOptions;
import org.apache.beam.sdk.io.fs.ResourceId;
import org.l2cbeam.core.io.AtomicFile;

/**
 * Writes one output file of a pipeline, local or at any Beam {@code FileSystems} location ({@code
 * gs://...}), so that it appears complete or not at all: the content goes to a temporary sibling
 * first and is then renamed into place.
 */
public final class ArtifactFile {
  private ArtifactFile() {}

  public static void write(String location, AtomicFile.Writer content) {
    writeAll(Map.of(location, content));
  }

  /**
   * Writes several files of one output so that a failure while writing any of them publishes none:
   * all contents go to temporary siblings first, then all are renamed (see {@link
   * AtomicFile#writeAll}).
   */
  public static void writeAll(Map<String, AtomicFile.Writer> contents) {
    String location = contents.keySet().iterator().next();
    try {
      if (contents.keySet().stream().noneMatch(ModelFiles::isRemote)) {
        Map<Path, AtomicFile.Writer> local = new LinkedHashMap<>();
        contents.forEach((l, w) -> local.put(localPath(l), w));
        AtomicFile.writeAll(local);
        return;
      }
      List<ResourceId> temporaries = new ArrayList<>();
      List<ResourceId> targets = new ArrayList<>();
      for (Map.Entry<String, AtomicFile.Writer> c : contents.entrySet()) {
        location = c.getKey();
        ResourceId target = FileSystems.matchNewResource(location, false);
        ResourceId tmp =
            target
                .getCurrentDirectory()
                .resolve(
                    "." + target.getFilename() + ".partial", StandardResolveOptions.RESOLVE_FILE);
        try (OutputStream o =
            Channels.newOutputStream(FileSystems.create(tmp, "application/octet-stream"))) {
          c.getValue().write(o);
        }
        temporaries.add(tmp);
        targets.add(target);
      }
      FileSystems.rename(temporaries, targets, StandardMoveOptions.IGNORE_MISSING_FILES);
    } catch (IOException e) {
      throw new UncheckedIOException(
          e.getMessage() != null && e.getMessage().startsWith("cannot write ")
              ? e.getMessage()
              : "cannot write " + location + ": " + e.getMessage(),
          e);
    }
  }

  /** {@code dir/name} for a local directory or a remote prefix. */
  public static String join(String dir, String name) {
    return dir.endsWith("/") ? dir + name : dir + "/" + name;
  }

  /** True for a location on a Beam file system other than the local one, e.g. {@code gs://...}. */
  public static boolean isRemote(String location) {
    return ModelFiles.isRemote(location);
  }

  /** The local path of a location that is not remote (a path or a {@code file://} URI). */
  public static Path localPath(String location) {
    return location.startsWith("file://")
        ? Path.of(java.net.URI.create(location))
        : Path.of(location);
  }
}
