package org.l2cbeam.templates;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.beam.sdk.util.ReleaseInfo;
import org.junit.Test;

/**
 * The GPU Flex Templates as far as they can be checked without docker, a GPU or a GCP project: the
 * image's bases and contents, the build script's pipelines, main classes and metadata files, and
 * the run commands of templates/README.md (every worker option, and only parameters the template's
 * metadata declares).
 */
public class GpuTemplateTest {
  /**
   * The pipelines with a GPU template: the model-running ones ({@code evaluate} scores images on
   * CPU workers).
   */
  private static final Set<String> GPU_TEMPLATES = Set.of("sample", "train-router", "benchmark");

  private static final String ACCELERATOR =
      "worker_accelerator=type:nvidia-l4;count:1;install-nvidia-driver";

  @Test
  public void imageIsCuda124WithJava17TheBeamHarnessAndTheLauncher() throws Exception {
    String docker = Files.readString(Path.of("gpu/Dockerfile"));
    assertThat(
        docker,
        containsString("ARG BEAM_VERSION=" + ReleaseInfo.getReleaseInfo().getVersion() + "\n"));
    assertThat(docker, containsString("FROM apache/beam_java17_sdk:${BEAM_VERSION} AS beam"));
    assertThat(
        docker,
        containsString(
            "FROM gcr.io/dataflow-templates-base/java17-template-launcher-base:latest AS launcher"));
    assertThat(docker, containsString("\nFROM nvidia/cuda:12.4.1-runtime-ubuntu22.04\n"));
    assertThat(docker, containsString("openjdk-17-jre-headless"));
    assertThat(docker, containsString("COPY --from=beam /opt/apache/beam /opt/apache/beam"));
    assertThat(
        docker,
        containsString(
            "COPY --from=launcher /opt/google/dataflow/java_template_launcher /opt/google/dataflow/java_template_launcher"));
    assertThat(docker, containsString("COPY target/lib-cuda/ /template/lib/"));
    assertThat(docker, containsString("ENV FLEX_TEMPLATE_JAVA_CLASSPATH=/template/lib/*"));
    assertThat(docker, containsString("DJL_OFFLINE=true OPT_OUT_TRACKING=true"));
    assertThat(docker, containsString("ENTRYPOINT [\"/opt/apache/beam/boot\"]"));
  }

  @Test
  public void buildScriptPackagesTheCudaBuildForEachGpuPipeline() throws Exception {
    String script = Files.readString(Path.of("build-gpu-templates.sh"));
    assertThat(
        script, containsString("mvn -B -q -Pcuda,dataflow -DskipTests -pl pipelines -am package"));
    assertThat(script, containsString("-DoutputDirectory=\"$PWD/templates/target/lib-cuda\""));
    assertThat(script, containsString("docker build -f gpu/Dockerfile"));
    assertThat(
        script,
        containsString(
            "--metadata-file \"src/main/resources/org/l2cbeam/templates/${name}/metadata.json\""));
    Map<String, String> gpuMains = mains(script);
    assertThat(gpuMains.keySet(), equalTo(new TreeSet<>(GPU_TEMPLATES)));
    // The same main classes as the CPU templates, which FlexTemplateMetadataTest checks against the
    // pipelines.
    Map<String, String> cpuMains = mains(Files.readString(Path.of("build-templates.sh")));
    for (Map.Entry<String, String> e : gpuMains.entrySet()) {
      assertThat(e.getKey() + " main class", e.getValue(), equalTo(cpuMains.get(e.getKey())));
      metadata(e.getKey()); // exists
    }
  }

  @Test
  public void runCommandsCarryTheWorkerOptionsAndOnlyDeclaredParameters() throws Exception {
    String readme = Files.readString(Path.of("README.md"));
    String gpu = readme.substring(readme.indexOf("## GPU templates"));
    Matcher commands =
        Pattern.compile("gcloud dataflow flex-template run (?:[^\\n]*\\\\\\n)*[^\\n]*\\n")
            .matcher(gpu);
    Set<String> seen = new TreeSet<>();
    while (commands.find()) {
      String command = commands.group();
      Matcher template = Pattern.compile("templates/l2c-([a-z-]+)-gpu\\.json").matcher(command);
      assertThat("names a GPU template: " + command, template.find(), equalTo(true));
      String name = template.group(1);
      seen.add(name);
      assertThat(command, containsString("--worker-machine-type=g2-standard-8"));
      assertThat(
          command,
          containsString("--additional-experiments=use_runner_v2,\"" + ACCELERATOR + "\""));
      assertThat(
          command,
          containsString("--additional-pipeline-options=sdkContainerImage=$IMAGE,diskSizeGb=50"));
      assertThat(
          gpu,
          containsString("IMAGE=$REGION-docker.pkg.dev/$PROJECT/l2c/l2c-" + name + "-gpu:latest"));
      Set<String> declared = new TreeSet<>();
      JsonObject metadata = metadata(name);
      for (JsonElement p : metadata.getAsJsonArray("parameters")) {
        JsonObject param = p.getAsJsonObject();
        declared.add(param.get("name").getAsString());
      }
      List<String> given = parameterNames(command);
      assertThat(name + " gives parameters", given.isEmpty(), equalTo(false));
      for (String p : given)
        assertThat(
            name + ": parameter " + p + " is in its metadata", declared.contains(p), equalTo(true));
      for (JsonElement p : metadata.getAsJsonArray("parameters")) {
        JsonObject param = p.getAsJsonObject();
        if (!param.get("isOptional").getAsBoolean()) {
          assertThat(
              name + " gives required " + param.get("name"),
              given.contains(param.get("name").getAsString()),
              equalTo(true));
        }
      }
    }
    assertThat("a run command per GPU template", seen, equalTo(new TreeSet<>(GPU_TEMPLATES)));
  }

  /**
   * The keys of every {@code --parameters=k=v,k=v} and {@code --parameters=^~^k=v~k=v} flag of a
   * command.
   */
  private static List<String> parameterNames(String command) {
    List<String> names = new ArrayList<>();
    Matcher flag = Pattern.compile("--parameters=(\\^(.)\\^)?(\\S+)").matcher(command);
    while (flag.find()) {
      String delimiter = flag.group(2) == null ? "," : Pattern.quote(flag.group(2));
      for (String kv : flag.group(3).split(delimiter)) {
        int eq = kv.indexOf('=');
        if (eq > 0) names.add(kv.substring(0, eq));
      }
    }
    return names;
  }

  private static Map<String, String> mains(String script) {
    Map<String, String> mains = new TreeMap<>();
    Matcher m = Pattern.compile("\\[([a-z-]+)\\]=([A-Za-z0-9_.]+)").matcher(script);
    while (m.find()) mains.put(m.group(1), m.group(2));
    return mains;
  }

  private static JsonObject metadata(String pipeline) throws Exception {
    String path = "org/l2cbeam/templates/" + pipeline + "/metadata.json";
    try (InputStream in = GpuTemplateTest.class.getClassLoader().getResourceAsStream(path)) {
      if (in == null) throw new AssertionError("missing resource " + path);
      return JsonParser.parseString(new String(in.readAllBytes(), StandardCharsets.UTF_8))
          .getAsJsonObject();
    }
  }
}
