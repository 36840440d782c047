package org.l2cbeam.pipelines.dataflow;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.contains;
import static org.hamcrest.Matchers.equalTo;

import java.lang.reflect.Method;
import java.util.List;
import org.apache.beam.sdk.PipelineRunner;
import org.apache.beam.sdk.io.FileSystems;
import org.apache.beam.sdk.io.fs.ResourceId;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.junit.Test;

/**
 * Runs only in the {@code dataflow} profile (mvn -Pdataflow): proves that, with Kotlin and Beam's
 * protobuf extension excluded from the Dataflow runner and GCP core, everything the project uses on
 * Dataflow still loads. It is written with reflection so the default build (which has no Dataflow
 * jars) still compiles it.
 */
public class DataflowClassesLoadTest {
  private static final String DATAFLOW_OPTIONS =
      "org.apache.beam.runners.dataflow.options.DataflowPipelineOptions";

  @Test
  public void gcsPathsResolveThroughBeamFileSystems() {
    FileSystems.setDefaultPipelineOptions(PipelineOptionsFactory.create());
    ResourceId id =
        FileSystems.matchNewResource("gs://l2c-bucket/models/DiT-XL-2-256x256.pt", false);
    assertThat(
        id.getClass().getName(),
        equalTo("org.apache.beam.sdk.extensions.gcp.storage.GcsResourceId"));
    assertThat(id.getScheme(), equalTo("gs"));
    assertThat(id.getFilename(), equalTo("DiT-XL-2-256x256.pt"));
    ResourceId sibling =
        id.getCurrentDirectory()
            .resolve(
                "router.json",
                org.apache.beam.sdk.io.fs.ResolveOptions.StandardResolveOptions.RESOLVE_FILE);
    assertThat(sibling.toString(), equalTo("gs://l2c-bucket/models/router.json"));
  }

  @Test
  public void dataflowRunnerIsRegisteredAndItsOptionsParse() throws Exception {
    PipelineOptions options =
        PipelineOptionsFactory.fromArgs(
                "--runner=DataflowRunner",
                "--project=l2c-demo",
                "--region=us-central1",
                "--tempLocation=gs://l2c-bucket/tmp",
                "--numberOfWorkerHarnessThreads=1",
                "--dataflowServiceOptions=worker_accelerator=type:nvidia-l4;count:1;install-nvidia-driver")
            .create();
    Class<? extends PipelineRunner<?>> runner = options.getRunner();
    assertThat(runner.getName(), equalTo("org.apache.beam.runners.dataflow.DataflowRunner"));
    // DataflowRunner.fromOptions is the entry point Beam calls; it must exist and link.
    Method fromOptions = runner.getMethod("fromOptions", PipelineOptions.class);
    assertThat(fromOptions.getReturnType(), equalTo(runner));

    Class<? extends PipelineOptions> dataflowOptions =
        Class.forName(DATAFLOW_OPTIONS).asSubclass(PipelineOptions.class);
    PipelineOptions df = options.as(dataflowOptions);
    assertThat(dataflowOptions.getMethod("getProject").invoke(df), equalTo("l2c-demo"));
    assertThat(dataflowOptions.getMethod("getRegion").invoke(df), equalTo("us-central1"));
    assertThat(dataflowOptions.getMethod("getNumberOfWorkerHarnessThreads").invoke(df), equalTo(1));
    @SuppressWarnings("unchecked")
    List<String> service =
        (List<String>) dataflowOptions.getMethod("getDataflowServiceOptions").invoke(df);
    assertThat(
        service, contains("worker_accelerator=type:nvidia-l4;count:1;install-nvidia-driver"));
  }

  @Test
  public void gcsUtilAndDataflowWorkerOptionsLoad() throws Exception {
    for (String name :
        List.of(
            "org.apache.beam.sdk.extensions.gcp.util.GcsUtil",
            "org.apache.beam.sdk.extensions.gcp.options.GcsOptions",
            "org.apache.beam.runners.dataflow.options.DataflowPipelineWorkerPoolOptions",
            "org.apache.beam.runners.dataflow.DataflowPipelineTranslator")) {
      Class<?> c = Class.forName(name, true, getClass().getClassLoader());
      assertThat(c.getName(), equalTo(name));
    }
  }
}
