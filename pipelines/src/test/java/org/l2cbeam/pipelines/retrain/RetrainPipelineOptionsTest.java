package org.l2cbeam.pipelines.retrain;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertThrows;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.runners.TransformHierarchy;
import org.apache.beam.sdk.transforms.display.DisplayData;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;
import org.l2cbeam.pipelines.PipelineLauncher;

/**
 * The retrain pipeline as it is built: a latent model's probes are decoded by {@code --vae} (and
 * refused without one), {@code --warm-start} starts the candidate's training from the registry's
 * latest, and bad options are named.
 */
public class RetrainPipelineOptionsTest {
  private static final Path VECTORS = Path.of("../l2c-core/src/test/resources/vectors");
  private static final String VAE =
      VECTORS.resolve("vae-wide/vae_diffusers_layout.safetensors").toString();

  @Rule public final TemporaryFolder tmp = new TemporaryFolder();

  private List<String> args(String... extra) {
    List<String> args = new ArrayList<>(List.of(extra));
    List<String> given = PipelineLauncher.optionNames(args);
    for (String d :
        List.of(
            "--data=builtin:fashion-mnist",
            "--iterations=1",
            "--samplingSteps=4",
            "--registry=" + tmp.getRoot().toPath().resolve("registry"),
            "--output=" + tmp.getRoot().toPath().resolve("out"))) {
      if (!given.contains(d.substring(2, d.indexOf('=')))) args.add(d);
    }
    return args;
  }

  /**
   * The test DiT, which samples 4-channel 8x8 latents (the VAE decodes them to 3x16x16 images), in
   * a folder of its own with the config.json that names its head count.
   */
  private String latentModel() throws Exception {
    Path dir = tmp.newFolder("latent-dit").toPath();
    Files.copy(VECTORS.resolve("dit_model.pt"), dir.resolve("dit_model.pt"));
    Files.writeString(dir.resolve("config.json"), "{\"num_heads\": 4}");
    return dir.resolve("dit_model.pt").toString();
  }

  private Pipeline build(String... extra) {
    return PipelineLauncher.entry("retrain")
        .build(PipelineLauncher.options("retrain", args(extra)));
  }

  private String buildError(String... extra) {
    return assertThrows(IllegalArgumentException.class, () -> build(extra)).getMessage();
  }

  /** The display data of every transform whose full name ends with {@code suffix}, by full name. */
  private static Map<String, DisplayData> displayData(Pipeline p, String suffix) {
    Map<String, DisplayData> found = new TreeMap<>();
    p.traverseTopologically(
        new Pipeline.PipelineVisitor.Defaults() {
          @Override
          public CompositeBehavior enterCompositeTransform(TransformHierarchy.Node node) {
            if (!node.isRootNode() && node.getFullName().endsWith(suffix)) {
              found.put(node.getFullName(), DisplayData.from(node.getTransform()));
            }
            return CompositeBehavior.ENTER_TRANSFORM;
          }
        });
    return found;
  }

  private static String item(DisplayData d, String key) {
    return d.items().stream()
        .filter(i -> i.getKey().equals(key))
        .map(i -> String.valueOf(i.getValue()))
        .findFirst()
        .orElse(null);
  }

  @Test
  public void aLatentModelsProbesAreDecodedByTheVaeAndNeedOne() throws Exception {
    String model = latentModel();
    assertThat(
        buildError("--model=" + model),
        containsString(
            "--vae: model " + model + " samples 4-channel latents; give the Stable-Diffusion VAE"));

    Pipeline p = build("--model=" + model, "--vae=" + VAE);
    Map<String, DisplayData> samplers = displayData(p, "SampleCandidate");
    samplers.putAll(displayData(p, "SampleCurrent"));
    assertEquals(samplers.keySet().toString(), 2, samplers.size());
    for (Map.Entry<String, DisplayData> s : samplers.entrySet()) {
      assertEquals(s.getKey(), VAE, item(s.getValue(), "vae"));
    }
  }

  @Test
  public void warmStartTrainsFromTheRegistrysLatest() {
    String registry = tmp.getRoot().toPath().resolve("registry").toString();
    assertEquals(
        null,
        item(displayData(build(), "TrainRouter").values().iterator().next(), "initialRouter"));
    Map<String, DisplayData> train = displayData(build("--warmStart"), "TrainRouter");
    assertEquals(1, train.size());
    assertEquals("registry+" + registry, item(train.values().iterator().next(), "initialRouter"));
  }

  @Test
  public void badOptionsAreNamed() {
    assertThat(
        buildError("--probeClasses=11"),
        containsString("--probe-classes: 11 classes, but model" + " builtin:fmnist-dit has 10"));
    assertThat(buildError("--probeCount=1"), containsString("--probe-count"));
    assertThat(
        buildError("--registry=registry+/tmp/r"),
        containsString("--registry: give the location itself"));
  }
}
