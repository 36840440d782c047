package org.l2cbeam.templates;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.equalTo;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.io.InputStream;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.options.Validation;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;
import org.l2cbeam.pipelines.PipelineLauncher;

/**
 * Each Flex Template's metadata.json matches its pipeline's PipelineOptions both ways (every
 * parameter is a getter declared by the options interface, every such getter is a parameter, and
 * "required" agrees), its regexes accept its example parameters, and the example parameters run the
 * pipeline on DirectRunner.
 */
public class FlexTemplateMetadataTest {
  /**
   * The pipelines that ship a Flex Template, in the order their examples run (evaluate scores
   * sample's output).
   */
  private static final List<String> TEMPLATED =
      List.of("sample", "evaluate", "train-router", "benchmark", "retrain");

  @Rule public final TemporaryFolder tmp = new TemporaryFolder();

  private static JsonObject resource(String pipeline, String file) throws IOException {
    String path = "org/l2cbeam/templates/" + pipeline + "/" + file;
    try (InputStream in =
        FlexTemplateMetadataTest.class.getClassLoader().getResourceAsStream(path)) {
      if (in == null) throw new IOException("missing resource " + path);
      return JsonParser.parseString(new String(in.readAllBytes(), StandardCharsets.UTF_8))
          .getAsJsonObject();
    }
  }

  /**
   * The getters of {@code options} and of the option interfaces it extends from the pipelines' own
   * packages ({@code retrain} takes {@code train-router}'s training options); not those shared by
   * every pipeline in {@code org.l2cbeam.pipelines} (kernels, device), which the templates leave at
   * their defaults, nor Beam's.
   */
  private static Map<String, Method> declaredOptions(Class<?> options) {
    Map<String, Method> getters = new TreeMap<>();
    for (Method m : options.getDeclaredMethods()) {
      String n = m.getName();
      if (n.startsWith("get") && m.getParameterCount() == 0) {
        getters.put(Character.toLowerCase(n.charAt(3)) + n.substring(4), m);
      }
    }
    for (Class<?> parent : options.getInterfaces()) {
      if (parent.getPackageName().startsWith("org.l2cbeam.pipelines.")) {
        declaredOptions(parent).forEach(getters::putIfAbsent);
      }
    }
    return getters;
  }

  @Test
  public void everyTemplateParameterIsAnOptionAndBack() throws Exception {
    for (String pipeline : TEMPLATED) {
      Class<?> options = PipelineLauncher.entry(pipeline).options;
      Map<String, Method> getters = declaredOptions(options);
      JsonObject metadata = resource(pipeline, "metadata.json");
      TreeSet<String> params = new TreeSet<>();
      for (JsonElement e : metadata.getAsJsonArray("parameters")) {
        JsonObject p = e.getAsJsonObject();
        String name = p.get("name").getAsString();
        params.add(name);
        Method getter = getters.get(name);
        assertThat(
            pipeline + ": parameter " + name + " has a getter in " + options.getSimpleName(),
            getter != null,
            equalTo(true));
        boolean required = getter.isAnnotationPresent(Validation.Required.class);
        assertThat(
            pipeline + ": parameter " + name + " isOptional",
            p.get("isOptional").getAsBoolean(),
            equalTo(!required));
        assertThat(
            pipeline + ": " + name + " has help text",
            p.get("helpText").getAsString().length() > 20,
            equalTo(true));
        for (JsonElement r : p.getAsJsonArray("regexes")) Pattern.compile(r.getAsString());
      }
      assertThat(
          pipeline + ": every option is a template parameter",
          params,
          equalTo(new TreeSet<>(getters.keySet())));
    }
  }

  @Test
  public void everyPipelineHasATemplateAndAMainClassInTheBuildScript() throws Exception {
    assertThat(
        "pipelines without a Flex Template",
        new TreeSet<>(TEMPLATED),
        equalTo(new TreeSet<>(PipelineLauncher.pipelines().keySet())));
    // build-templates.sh's MAIN map gives the image's FLEX_TEMPLATE_JAVA_MAIN_CLASS per template.
    String script = Files.readString(Path.of("build-templates.sh"));
    Map<String, String> mains = new TreeMap<>();
    Matcher m = Pattern.compile("\\[([a-z-]+)\\]=([A-Za-z0-9_.]+)").matcher(script);
    while (m.find()) mains.put(m.group(1), m.group(2));
    assertThat(
        "build-templates.sh MAIN entries", mains.keySet(), equalTo(new TreeSet<>(TEMPLATED)));
    for (Map.Entry<String, String> e : mains.entrySet()) {
      Method main = Class.forName(e.getValue()).getMethod("main", String[].class);
      assertThat(
          e.getKey() + ": " + e.getValue() + ".main is public static",
          Modifier.isStatic(main.getModifiers()) && Modifier.isPublic(main.getModifiers()),
          equalTo(true));
      Class<?> options = PipelineLauncher.entry(e.getKey()).options;
      assertThat(
          e.getKey() + ": main class is beside " + options.getSimpleName(),
          Class.forName(e.getValue()).getPackageName(),
          equalTo(options.getPackageName()));
    }
  }

  @Test
  public void exampleParametersMatchTheRegexesAndRunOnDirectRunner() throws Exception {
    for (String pipeline : TEMPLATED) {
      JsonObject metadata = resource(pipeline, "metadata.json");
      JsonObject example = resource(pipeline, "example-parameters.json");
      Map<String, List<Pattern>> regexes = regexes(pipeline);
      for (JsonElement e : metadata.getAsJsonArray("parameters")) {
        JsonObject p = e.getAsJsonObject();
        if (!p.get("isOptional").getAsBoolean()) {
          assertThat(
              pipeline + ": example gives required " + p.get("name"),
              example.has(p.get("name").getAsString()),
              equalTo(true));
        }
      }
      Path root = tmp.getRoot().toPath();
      List<String> args = new ArrayList<>(List.of("--runner=DirectRunner"));
      Path output = null;
      for (Map.Entry<String, JsonElement> e : example.entrySet()) {
        String value = e.getValue().getAsString();
        assertThat(
            pipeline + ": example " + e.getKey() + " is a template parameter",
            regexes.containsKey(e.getKey()),
            equalTo(true));
        for (Pattern r : regexes.get(e.getKey())) {
          assertThat(
              pipeline + ": example " + e.getKey() + "=" + value + " matches " + r,
              r.matcher(value).matches(),
              equalTo(true));
        }
        // The examples use a bucket; here the bucket is a local folder (pipelines run in
        // registration order, so
        // evaluate scores what the sample example wrote), and launcher-side files move under it
        // too.
        String local =
            value.replace("gs://YOUR_BUCKET/", root + "/").replace("/tmp/", root + "/tmp/");
        args.add("--" + e.getKey() + "=" + local);
        if (e.getKey().equals("output")) output = Path.of(local);
      }
      PipelineResult result = PipelineLauncher.run(pipeline, args);
      assertThat(result.getState(), equalTo(PipelineResult.State.DONE));
      assertThat(
          pipeline + ": the example wrote its output " + output,
          output != null && Files.exists(output),
          equalTo(true));
    }
  }

  /**
   * What the pipelines reject at launch (remote data, bad thresholds, unknown extractors) fails the
   * form.
   */
  @Test
  public void regexesRejectValuesThePipelinesCannotTake() throws Exception {
    String[][] rejected = {
      {"train-router", "data", "gs://b/fashion-mnist"},
      {"train-router", "checkpointDir", "gs://b/checkpoints"},
      {"train-router", "theta", "1.0"},
      {"train-router", "iterations", "0"},
      {"sample", "router", "registry+s3://b/routers"},
      {"retrain", "registry", "registry+gs://b/routers"},
      {"retrain", "probeMacsRemoved", "1.0"},
      {"retrain", "data", "gs://b/fashion-mnist"},
      {"retrain", "warmStart", "yes"},
      {"retrain", "vae", "builtin:sd-vae"},
      {"sample", "sampler", "euler"},
      {"benchmark", "extractor", "clip"},
      {"benchmark", "macsRemoved", "0.25,1.5"},
      {"benchmark", "stepCounts", "20,"},
      {"benchmark", "routers", "gs://b/r20.json,"},
    };
    for (String[] r : rejected) {
      boolean accepted = true;
      for (Pattern p : regexes(r[0]).get(r[1])) accepted &= p.matcher(r[2]).matches();
      assertThat(
          r[0] + ": " + r[1] + "=" + r[2] + " is rejected by the metadata regexes",
          accepted,
          equalTo(false));
    }
    String[][] accepted = {
      {"benchmark", "plainSteps", ""},
      {"benchmark", "routers", "gs://b/r20.json,/routers/r50.json"},
      {"train-router", "lambda", "5e-6"},
      {"train-router", "cacheSteps", "0,2,4"},
      {"sample", "router", "registry+gs://b/l2c/routers"},
      {"sample", "router", "registry+gs://b/l2c/routers#v3"},
      {"retrain", "registry", "gs://b"},
      {"retrain", "tolerance", "-0.5"},
      {"retrain", "warmStart", "true"},
      {"retrain", "vae", "gs://b/sd-vae-ft-ema.safetensors"},
    };
    for (String[] a : accepted) {
      for (Pattern p : regexes(a[0]).get(a[1])) {
        assertThat(
            a[0] + ": " + a[1] + "=" + a[2] + " matches " + p,
            p.matcher(a[2]).matches(),
            equalTo(true));
      }
    }
  }

  private static Map<String, List<Pattern>> regexes(String pipeline) throws IOException {
    Map<String, List<Pattern>> regexes = new TreeMap<>();
    for (JsonElement e : resource(pipeline, "metadata.json").getAsJsonArray("parameters")) {
      List<Pattern> rs = new ArrayList<>();
      for (JsonElement r : e.getAsJsonObject().getAsJsonArray("regexes"))
        rs.add(Pattern.compile(r.getAsString()));
      regexes.put(e.getAsJsonObject().get("name").getAsString(), rs);
    }
    return regexes;
  }
}
