package org.l2cbeam.templates;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.equalTo;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.io.InputStream;
import java.lang.reflect.Method;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Pattern;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.options.Validation;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;
import org.l2cbeam.pipelines.PipelineLauncher;

/**
 * Each Flex Template's metadata.json matches its pipeline's PipelineOptions both ways (every parameter is a getter
 * declared by the options interface, every such getter is a parameter, and "required" agrees), its regexes accept
 * its example parameters, and the example parameters run the pipeline on DirectRunner.
 */
public class FlexTemplateMetadataTest {
  /** The pipelines that ship a Flex Template (train-router has none yet). */
  private static final java.util.List<String> TEMPLATED = java.util.List.of("sample", "evaluate");
  @Rule public final TemporaryFolder tmp = new TemporaryFolder();

  private static JsonObject resource(String pipeline, String file) throws IOException {
    String path = "org/l2cbeam/templates/" + pipeline + "/" + file;
    try (InputStream in = FlexTemplateMetadataTest.class.getClassLoader().getResourceAsStream(path)) {
      if (in == null) throw new IOException("missing resource " + path);
      return JsonParser.parseString(new String(in.readAllBytes(), StandardCharsets.UTF_8)).getAsJsonObject();
    }
  }

  private static Map<String, Method> declaredOptions(Class<?> options) {
    Map<String, Method> getters = new TreeMap<>();
    for (Method m : options.getDeclaredMethods()) {
      String n = m.getName();
      if (n.startsWith("get") && m.getParameterCount() == 0) {
        getters.put(Character.toLowerCase(n.charAt(3)) + n.substring(4), m);
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
        assertThat(pipeline + ": parameter " + name + " has a getter in " + options.getSimpleName(),
            getter != null, equalTo(true));
        boolean required = getter.isAnnotationPresent(Validation.Required.class);
        assertThat(pipeline + ": parameter " + name + " isOptional", p.get("isOptional").getAsBoolean(),
            equalTo(!required));
        assertThat(pipeline + ": " + name + " has help text", p.get("helpText").getAsString().length() > 20,
            equalTo(true));
        for (JsonElement r : p.getAsJsonArray("regexes")) Pattern.compile(r.getAsString());
      }
      assertThat(pipeline + ": every option is a template parameter", params, equalTo(new TreeSet<>(getters.keySet())));
    }
  }

  @Test
  public void exampleParametersMatchTheRegexesAndRunOnDirectRunner() throws Exception {
    for (String pipeline : TEMPLATED) {
      JsonObject metadata = resource(pipeline, "metadata.json");
      JsonObject example = resource(pipeline, "example-parameters.json");
      Map<String, List<Pattern>> regexes = new TreeMap<>();
      for (JsonElement e : metadata.getAsJsonArray("parameters")) {
        JsonObject p = e.getAsJsonObject();
        List<Pattern> rs = new ArrayList<>();
        for (JsonElement r : p.getAsJsonArray("regexes")) rs.add(Pattern.compile(r.getAsString()));
        regexes.put(p.get("name").getAsString(), rs);
        if (!p.get("isOptional").getAsBoolean()) {
          assertThat(pipeline + ": example gives required " + p.get("name"), example.has(p.get("name").getAsString()),
              equalTo(true));
        }
      }
      Path root = tmp.getRoot().toPath();
      List<String> args = new ArrayList<>(List.of("--runner=DirectRunner"));
      for (Map.Entry<String, JsonElement> e : example.entrySet()) {
        String value = e.getValue().getAsString();
        for (Pattern r : regexes.get(e.getKey())) {
          assertThat(pipeline + ": example " + e.getKey() + "=" + value + " matches " + r,
              r.matcher(value).matches(), equalTo(true));
        }
        // The examples use a bucket; here the bucket is a local folder (pipelines run in registration order, so
        // evaluate scores what the sample example wrote), and launcher-side files move under it too.
        String local = value.replace("gs://YOUR_BUCKET/", root + "/").replace("/tmp/", root + "/tmp/");
        args.add("--" + e.getKey() + "=" + local);
      }
      PipelineResult result = PipelineLauncher.run(pipeline, args);
      assertThat(result.getState(), equalTo(PipelineResult.State.DONE));
    }
  }
}
