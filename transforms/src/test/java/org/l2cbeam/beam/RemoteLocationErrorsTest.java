package org.l2cbeam.beam;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.lessThan;
import static org.junit.Assert.assertThrows;

import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.io.FileSystems;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.transforms.Create;
import org.junit.BeforeClass;
import org.junit.Test;

/**
 * Remote locations fail fast and say why: a scheme without a file system names the transform, the
 * location and Pipeline.create(options); a match error carries its cause; a check that gets no
 * answer gives up within its bound.
 */
public class RemoteLocationErrorsTest {
  @BeforeClass
  public static void registerFileSystems() {
    FileSystems.setDefaultPipelineOptions(PipelineOptionsFactory.create());
  }

  /**
   * ComputeFID against {@code location} applied to an empty input: the reference is read at expand.
   */
  private static void fidAgainst(String location) {
    Pipeline p = Pipeline.create();
    p.apply(Create.empty(GeneratedSampleCoder.of())).apply(ComputeFID.against(location));
  }

  @Test
  public void gsWithoutTheGcpExtensionNamesTheTransformTheFileAndTheFix() {
    Pipeline p = Pipeline.create();
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> p.apply(LoadModel.from("gs://bucket/DiT-XL-2-256x256.pt")));
    assertThat(
        e.getMessage(),
        containsString(
            "LoadModel.from (model): no file system for gs:// in this JVM, so"
                + " gs://bucket/DiT-XL-2-256x256.pt cannot be read"));
    assertThat(
        e.getMessage(), containsString("beam-sdks-java-extensions-google-cloud-platform-core"));
    assertThat(e.getMessage(), containsString("Pipeline.create(options)"));

    e = assertThrows(IllegalArgumentException.class, () -> fidAgainst("s3://bucket/stats.npz"));
    assertThat(
        e.getMessage(),
        containsString("ComputeFID.against (reference stats): no file system for s3://"));
    assertThat(e.getMessage(), containsString("Pipeline.create(options)"));
  }

  @Test
  public void aMatchErrorReportsItsCauseNotNoSuchFile() {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> fidAgainst(UnreachableFileSystem.SCHEME + "://offline/stats.npz"));
    assertThat(
        e.getMessage(),
        containsString(
            "ComputeFID.against (reference stats): cannot check "
                + UnreachableFileSystem.SCHEME
                + "://offline/stats.npz"));
    assertThat(
        e.getMessage(),
        containsString("caused by java.net.UnknownHostException: oauth2.googleapis.com"));

    e =
        assertThrows(
            IllegalArgumentException.class,
            () -> fidAgainst(UnreachableFileSystem.SCHEME + "://missing/stats.npz"));
    assertThat(
        e.getMessage(),
        containsString("no such file: " + UnreachableFileSystem.SCHEME + "://missing/"));
  }

  @Test
  public void aCheckWithoutAnswerGivesUpWithinItsBound() {
    String saved = System.getProperty("l2c.remoteCheckSeconds");
    System.setProperty("l2c.remoteCheckSeconds", "1");
    try {
      Pipeline p = Pipeline.create();
      long start = System.nanoTime();
      IllegalArgumentException e =
          assertThrows(
              IllegalArgumentException.class,
              () -> p.apply(LoadModel.from(UnreachableFileSystem.SCHEME + "://slow/model.pt")));
      assertThat((System.nanoTime() - start) / 1e9, lessThan(10.0));
      assertThat(
          e.getMessage(),
          containsString(
              "LoadModel.from (model): gave up checking "
                  + UnreachableFileSystem.SCHEME
                  + "://slow/model.pt after 1 s without an answer"));
      assertThat(e.getMessage(), containsString("withoutValidation()"));
    } finally {
      if (saved == null) System.clearProperty("l2c.remoteCheckSeconds");
      else System.setProperty("l2c.remoteCheckSeconds", saved);
    }
  }
}
