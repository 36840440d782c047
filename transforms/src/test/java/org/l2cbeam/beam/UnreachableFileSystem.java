package org.l2cbeam.beam;

import java.io.IOException;
import java.net.UnknownHostException;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.WritableByteChannel;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import org.apache.beam.sdk.io.FileSystem;
import org.apache.beam.sdk.io.FileSystemRegistrar;
import org.apache.beam.sdk.io.fs.CreateOptions;
import org.apache.beam.sdk.io.fs.MatchResult;
import org.apache.beam.sdk.io.fs.MoveOptions;
import org.apache.beam.sdk.io.fs.ResolveOptions;
import org.apache.beam.sdk.io.fs.ResourceId;
import org.apache.beam.sdk.options.PipelineOptions;

/**
 * A remote file system as seen from a machine without network, for the tests of remote-location
 * errors: scheme {@code l2cunreachable}; host {@code offline} answers every match with an error
 * caused by an UnknownHostException (what GCS's client gives without DNS), host {@code slow} never
 * answers, host {@code missing} has no files.
 */
public final class UnreachableFileSystem extends FileSystem<UnreachableFileSystem.Id> {
  static final String SCHEME = "l2cunreachable";

  /** Registered through META-INF/services, as Beam's own file systems are. */
  public static final class Registrar implements FileSystemRegistrar {
    @Override
    public Iterable<FileSystem<?>> fromOptions(PipelineOptions options) {
      return List.of(new UnreachableFileSystem());
    }
  }

  /** A path on the unreachable file system. */
  static final class Id implements ResourceId {
    private final String spec;

    Id(String spec) {
      this.spec = spec;
    }

    @Override
    public ResourceId resolve(String other, ResolveOptions options) {
      return new Id(spec.substring(0, spec.lastIndexOf('/') + 1) + other);
    }

    @Override
    public ResourceId getCurrentDirectory() {
      return new Id(spec.substring(0, spec.lastIndexOf('/') + 1));
    }

    @Override
    public String getScheme() {
      return SCHEME;
    }

    @Override
    public String getFilename() {
      return spec.substring(spec.lastIndexOf('/') + 1);
    }

    @Override
    public boolean isDirectory() {
      return spec.endsWith("/");
    }

    @Override
    public String toString() {
      return spec;
    }
  }

  @Override
  protected List<MatchResult> match(List<String> specs) throws IOException {
    List<MatchResult> out = new ArrayList<>();
    for (String spec : specs) {
      String host = spec.substring((SCHEME + "://").length()).split("/")[0];
      switch (host) {
        case "offline":
          out.add(
              MatchResult.create(
                  MatchResult.Status.ERROR,
                  new IOException(
                      "Error getting access token for service account",
                      new UnknownHostException("oauth2.googleapis.com"))));
          break;
        case "slow":
          try {
            Thread.sleep(600_000);
          } catch (InterruptedException e) {
            throw new IOException("interrupted", e);
          }
          out.add(MatchResult.create(MatchResult.Status.NOT_FOUND, List.of()));
          break;
        default:
          out.add(MatchResult.create(MatchResult.Status.NOT_FOUND, List.of()));
      }
    }
    return out;
  }

  @Override
  protected WritableByteChannel create(Id resourceId, CreateOptions createOptions)
      throws IOException {
    throw new IOException("unreachable");
  }

  @Override
  protected ReadableByteChannel open(Id resourceId) throws IOException {
    throw new IOException("unreachable");
  }

  @Override
  protected void copy(List<Id> srcResourceIds, List<Id> destResourceIds) throws IOException {
    throw new IOException("unreachable");
  }

  @Override
  protected void rename(
      List<Id> srcResourceIds, List<Id> destResourceIds, MoveOptions... moveOptions)
      throws IOException {
    throw new IOException("unreachable");
  }

  @Override
  protected void delete(Collection<Id> resourceIds) throws IOException {
    throw new IOException("unreachable");
  }

  @Override
  protected Id matchNewResource(String singleResourceSpec, boolean isDirectory) {
    return new Id(singleResourceSpec);
  }

  @Override
  protected String getScheme() {
    return SCHEME;
  }
}
