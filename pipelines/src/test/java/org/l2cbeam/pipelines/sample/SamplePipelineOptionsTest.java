package org.l2cbeam.pipelines.sample;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.Assert.assertThrows;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;
import org.l2cbeam.core.router.ModelFamily;
import org.l2cbeam.core.router.RouterArtifact;
import org.l2cbeam.core.router.RouterScores;
import org.l2cbeam.pipelines.PipelineLauncher;

/**
 * Bad options of the sample pipeline are rejected while the pipeline is built, naming the option.
 */
public class SamplePipelineOptionsTest {
  @Rule public final TemporaryFolder tmp = new TemporaryFolder();

  private String build(String... extra) {
    List<String> args = new ArrayList<>(List.of(extra));
    if (args.stream().noneMatch(a -> a.startsWith("--labels"))) args.add("--labels=0,1");
    args.add("--output=" + tmp.getRoot());
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> PipelineLauncher.entry("sample").build(PipelineLauncher.options("sample", args)));
    return e.getMessage();
  }

  private Path router(int steps) throws Exception {
    float[][] logits = new float[steps][16];
    RouterArtifact a =
        new RouterArtifact(
            RouterArtifact.UNKNOWN_FINGERPRINT,
            new RouterScores(ModelFamily.DIT, logits),
            "ddim",
            0.5,
            new RouterArtifact.Provenance(
                "test", "none", "2026-01-01T00:00:00Z", "test", Map.of()));
    Path p = tmp.getRoot().toPath().resolve("router" + steps + ".json");
    a.write(p);
    return p;
  }

  @Test
  public void missingModel() {
    String m = build("--model=/no/such/dit.pt");
    assertThat(m, containsString("--model"));
    assertThat(m, containsString("/no/such/dit.pt"));
  }

  @Test
  public void unknownLabel() {
    String m = build("--labels=3,10");
    assertThat(m, containsString("--labels"));
    assertThat(m, containsString("label 10"));
    assertThat(m, containsString("10 classes"));
  }

  @Test
  public void thetaOutsideTheOpenUnitInterval() throws Exception {
    String r = router(20).toString();
    assertThat(build("--router=" + r, "--theta=1.0"), containsString("--theta"));
    assertThat(build("--router=" + r, "--theta=0"), containsString("--theta"));
    assertThat(build("--theta=0.5"), containsString("--theta: a threshold needs a router"));
  }

  @Test
  public void routerStepsMustMatchSamplerSteps() throws Exception {
    String m = build("--router=" + router(20), "--steps=50");
    assertThat(m, containsString("--router"));
    assertThat(m, containsString("20 sampling steps"));
    assertThat(m, containsString("50"));
  }

  @Test
  public void aVaeThatIsNotAVaeIsNamed() throws Exception {
    java.nio.file.Path notVae = java.nio.file.Files.createTempFile("not-a-vae", ".safetensors");
    java.nio.file.Files.write(notVae, new byte[] {1, 2, 3});
    String m = build("--vae=" + notVae);
    assertThat(m, containsString("--vae"));
    assertThat(m, containsString(notVae.toString()));
  }

  @Test
  public void seedsMustMatchLabels() {
    assertThat(build("--seeds=1,2,3"), containsString("--seeds"));
  }

  @Test
  public void kebabCaseOptionsAreAccepted() {
    assertThat(
        PipelineLauncher.options(
                "sample", List.of("--labels", "1,2", "--cfg-scale", "1.5", "--output=/x"))
            .as(SampleOptions.class)
            .getCfgScale(),
        equalTo(1.5));
  }

  // --------------------------------------------------------------------------------------------------- U-ViT

  private static final String UVIT =
      Path.of("../l2c-core/src/test/resources/vectors/uvit_model.pt").toString();
  private static final String VAE =
      Path.of("../l2c-core/src/test/resources/vectors/vae-wide/vae_diffusers_layout.safetensors")
          .toString();

  /**
   * Options that only a DiT takes, or that no U-ViT run can use, are refused before any worker
   * starts.
   */
  @Test
  public void uvitRefusesDiTOptionsNamingTheOption() throws Exception {
    String base = "--model=" + UVIT;
    String vae = "--vae=" + VAE;
    assertThat(
        build(base, vae, "--steps=10", "--guided-channels=3"),
        containsString("--guided-channels is a DiT option"));
    String odd = build(base, vae, "--steps=9");
    assertThat(odd, containsString("--steps 9"));
    assertThat(odd, containsString("even"));
    assertThat(build(base, vae, "--steps=10", "--sampler=ddim"), containsString("--sampler ddim"));
    String ditRouter = build(base, vae, "--steps=20", "--router=" + router(20));
    assertThat(ditRouter, containsString("--router"));
    assertThat(ditRouter, containsString("is a dit router (ddim), but withFamily is uvit"));
    assertThat(
        build(base, "--steps=10"),
        containsString("--vae: model " + UVIT + " samples 4-channel latents"));
  }
}
