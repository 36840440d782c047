package org.l2cbeam.pipelines;

import com.google.gson.GsonBuilder;
import java.io.IOException;
import java.io.InputStream;
import java.nio.channels.Channels;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.beam.sdk.io.FileSystems;
import org.apache.beam.sdk.io.fs.EmptyMatchTreatment;
import org.apache.beam.sdk.io.fs.MatchResult;
import org.apache.beam.sdk.io.fs.MoveOptions.StandardMoveOptions;
import org.apache.beam.sdk.io.fs.ResourceId;
import org.l2cbeam.beam.ArtifactFile;
import org.l2cbeam.core.io.OutputFile;

/**
 * The files a pipeline run publishes, and its success marker. Before the run: the output location
 * is checked (a writable folder, named by {@code --output}), the marker of an earlier run is
 * removed, and so are hidden {@code .partial} files that killed runs left. After a successful run
 * the marker is written last: a JSON manifest ({@code pipeline}, {@code finished}, and {@code
 * files} with each file's name, bytes and sha256). A failed run writes no marker and deletes the
 * files it had already published, so a finished run is exactly one whose marker exists.
 *
 * <p>The marker is {@code _SUCCESS} inside a folder output ({@code sample}, {@code benchmark},
 * {@code evaluate} into a folder) and {@code FILE._SUCCESS} beside a single-file output ({@code
 * train-router}, {@code evaluate} to {@code .json}).
 */
public final class PipelineOutputs {
  public static final String MARKER = "_SUCCESS";

  private final String pipeline;
  private final String option;
  private final String folder;
  private final List<String> files;
  private final String marker;

  private PipelineOutputs(
      String pipeline, String option, String folder, List<String> files, String marker) {
    this.pipeline = pipeline;
    this.option = option;
    this.folder = folder;
    this.files = List.copyOf(files);
    this.marker = marker;
  }

  /** Files {@code names} in output folder {@code folder}; the marker is {@code folder/_SUCCESS}. */
  public static PipelineOutputs inFolder(
      String pipeline, String option, String folder, List<String> names) {
    List<String> files = new ArrayList<>();
    for (String n : names) files.add(ArtifactFile.join(folder, n));
    return new PipelineOutputs(pipeline, option, folder, files, ArtifactFile.join(folder, MARKER));
  }

  /** One output file; the marker is {@code file._SUCCESS} beside it. */
  public static PipelineOutputs singleFile(String pipeline, String option, String file) {
    String folder = file.contains("/") ? file.substring(0, file.lastIndexOf('/') + 1) : ".";
    return new PipelineOutputs(pipeline, option, folder, List.of(file), file + "." + MARKER);
  }

  /** The published files' locations. */
  public List<String> files() {
    return files;
  }

  /** Where the success marker goes. */
  public String marker() {
    return marker;
  }

  /**
   * Before any work: the output can be written (local outputs; a remote one is checked by its first
   * write), and no marker or {@code .partial} file of an earlier run is left to be mistaken for
   * this run's.
   */
  public void prepare() {
    if (!ArtifactFile.isRemote(folder)) {
      Path dir = ArtifactFile.localPath(folder);
      OutputFile.checkFolder(dir, option);
      for (String f : files) {
        Path p = ArtifactFile.localPath(f);
        if (java.nio.file.Files.isDirectory(p)) {
          throw new IllegalArgumentException(
              option
                  + ": "
                  + p
                  + " is a directory; the "
                  + pipeline
                  + " pipeline writes a file there");
        }
        OutputFile.removeStalePartials(p);
      }
    }
    delete(List.of(marker));
  }

  /** After a successful run: every published file exists; writes the marker, last. */
  public void commit() {
    List<Map<String, Object>> listed = new ArrayList<>();
    for (String f : files) {
      MatchResult.Metadata m = metadata(f);
      if (m == null) {
        throw new IllegalStateException(
            "the "
                + pipeline
                + " pipeline finished but did not write "
                + f
                + "; no success marker written");
      }
      Map<String, Object> entry = new LinkedHashMap<>();
      entry.put("name", m.resourceId().getFilename());
      entry.put("bytes", m.sizeBytes());
      entry.put("sha256", sha256(f));
      listed.add(entry);
    }
    Map<String, Object> manifest = new LinkedHashMap<>();
    manifest.put("pipeline", pipeline);
    manifest.put("finished", Instant.now().truncatedTo(ChronoUnit.SECONDS).toString());
    manifest.put("files", listed);
    byte[] json =
        (new GsonBuilder().setPrettyPrinting().disableHtmlEscaping().create().toJson(manifest)
                + "\n")
            .getBytes(StandardCharsets.UTF_8);
    ArtifactFile.write(marker, o -> o.write(json));
  }

  /**
   * After a failed run: deletes the files this run published (written at or after {@code
   * startMillis}).
   */
  public void rollback(long startMillis) {
    List<String> published = new ArrayList<>();
    for (String f : files) {
      MatchResult.Metadata m = metadata(f);
      if (m != null && (m.lastModifiedMillis() == 0 || m.lastModifiedMillis() >= startMillis))
        published.add(f);
    }
    delete(published);
  }

  private static MatchResult.Metadata metadata(String location) {
    try {
      MatchResult r = FileSystems.match(List.of(location), EmptyMatchTreatment.ALLOW).get(0);
      if (r.status() != MatchResult.Status.OK || r.metadata().isEmpty()) return null;
      return r.metadata().get(0);
    } catch (IOException e) {
      return null;
    }
  }

  private static void delete(List<String> locations) {
    List<ResourceId> ids = new ArrayList<>();
    for (String l : locations) ids.add(FileSystems.matchNewResource(l, false));
    try {
      FileSystems.delete(ids, StandardMoveOptions.IGNORE_MISSING_FILES);
    } catch (IOException e) {
      throw new IllegalStateException("cannot delete " + locations + ": " + e.getMessage(), e);
    }
  }

  private static String sha256(String location) {
    try (InputStream in =
        Channels.newInputStream(FileSystems.open(FileSystems.matchNewResource(location, false)))) {
      MessageDigest md = MessageDigest.getInstance("SHA-256");
      byte[] buf = new byte[1 << 16];
      try (DigestInputStream d = new DigestInputStream(in, md)) {
        while (d.read(buf) >= 0) {
          // digesting
        }
      }
      return HexFormat.of().formatHex(md.digest());
    } catch (IOException e) {
      throw new IllegalStateException(
          "cannot read back " + location + " for the success marker: " + e.getMessage(), e);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
