package org.l2cbeam.pipelines.cli;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import java.awt.image.BufferedImage;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;
import org.l2cbeam.core.router.RouterArtifact;
import org.l2cbeam.core.router.train.RouterCheckpoint;

/**
 * {@code l2c router train --vae VAE --data IMAGES}: real PNG folders encoded by the small test VAEs
 * (4 latent channels, downsampling factor 2, so the 8x8-latent test DiT and U-ViT train on 16x16
 * crops), end to end, and every bad input.
 */
public class RouterTrainVaeTest {
  private static final Path VECTORS = Path.of("../l2c-core/src/test/resources/vectors");
  private static final String DIT = VECTORS.resolve("dit_model.safetensors").toString();
  private static final String UVIT = VECTORS.resolve("uvit_model.pt").toString();
  private static final String VAE = VECTORS.resolve("vae/vae_model.safetensors").toString();
  private static final String VAE_DIFFUSERS =
      VECTORS.resolve("vae-wide/vae_diffusers_layout.safetensors").toString();

  @Rule public TemporaryFolder tmp = new TemporaryFolder();

  /** {exit code, stdout, stderr}. */
  private static String[] run(String... args) {
    return CliRun.codeOutErr(args);
  }

  private Path path(String name) {
    return tmp.getRoot().toPath().resolve(name);
  }

  private static void writePng(Path file, int w, int h, int seed) throws Exception {
    Files.createDirectories(file.getParent());
    BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
    for (int y = 0; y < h; y++) {
      for (int x = 0; x < w; x++) {
        img.setRGB(
            x,
            y,
            ((x * 13 + seed * 29) % 256) << 16
                | ((y * 11 + x * x) % 256) << 8
                | (x * y + seed) % 256);
      }
    }
    assertTrue(ImageIO.write(img, "png", file.toFile()));
  }

  /**
   * Two classes (ImageFolder layout), five images of assorted sizes, one smaller than the 16x16
   * crop.
   */
  private Path images() throws Exception {
    Path dir = path("train");
    writePng(dir.resolve("n01/a.png"), 16, 16, 1);
    writePng(dir.resolve("n01/b.png"), 24, 20, 2);
    writePng(dir.resolve("n01/c.png"), 12, 10, 3);
    writePng(dir.resolve("n02/a.png"), 40, 33, 4);
    writePng(dir.resolve("n02/b.png"), 17, 16, 5);
    return dir;
  }

  private String[] train(String model, String vae, Path data, Path out, String... extra) {
    List<String> args =
        new ArrayList<>(
            Arrays.asList(
                "router",
                "train",
                "--model",
                model,
                "--heads",
                "4",
                "--data",
                data.toString(),
                "--sampling-steps",
                "10",
                "--batch",
                "2",
                "--seed",
                "3",
                "--log-every",
                "1",
                "--checkpoint-every",
                "1",
                "--vae-batch",
                "2",
                "--out",
                out.toString()));
    if (vae != null) args.addAll(Arrays.asList("--vae", vae));
    args.addAll(Arrays.asList(extra));
    return run(args.toArray(new String[0]));
  }

  private static void assertFails(String[] r, String... fragments) {
    assertEquals("exit code; stderr: " + r[2], "2", r[0]);
    for (String f : fragments) assertThat(r[2], containsString(f));
  }

  @Test
  public void trainsADiTRouterFromImagesAndResumesOnTheSameLatents() throws Exception {
    Path data = images();
    Path out = path("r.json");
    String[] r = train(DIT, VAE, data, out, "--steps", "2");
    assertEquals("stderr: " + r[2], "0", r[0]);
    assertThat(
        r[2],
        containsString(
            "encoding 5 images in 2 classes from "
                + data
                + " with --vae "
                + VAE
                + ": ADM center crop to 16x16, random flip, posterior sample x 0.18215 (seed 3)"));
    assertThat(r[2], containsString("encoded 5/5 images"));
    assertThat(r[2], containsString("; 1 smaller than 16x16 scaled up by the crop (bicubic)"));
    assertThat(r[2], containsString("router train: " + DIT + " (8 units), 5 examples"));
    assertThat(r[1], containsString("k 0 active"));
    RouterArtifact artifact = RouterArtifact.read(out);
    assertThat(
        artifact.provenance().source,
        containsString(data + " (images encoded by VAE " + VAE + ")"));
    Path checkpoint = RouterCheckpoint.besideOutput(out);
    assertTrue(Files.exists(checkpoint));

    // Re-encoding gives the same data fingerprint, so the run resumes.
    String[] resumed = train(DIT, VAE, data, out, "--steps", "3", "--resume");
    assertEquals("stderr: " + resumed[2], "0", resumed[0]);
    assertEquals(
        3L, ((Number) RouterArtifact.read(out).provenance().training.get("steps")).longValue());
  }

  @Test
  public void trainsAUViTRouterThroughADiffusersLayoutVae() throws Exception {
    Path out = path("u.json");
    String[] r = train(UVIT, VAE_DIFFUSERS, images(), out, "--steps", "2");
    assertEquals("stderr: " + r[2], "0", r[0]);
    assertThat(r[2], containsString("U-ViT, 10 units"));
    assertTrue(Files.exists(out));
  }

  @Test
  public void aVaeWithAPixelSpaceModelIsRefused() throws Exception {
    Path out = path("px.json");
    String[] r = train("builtin:fmnist-dit", VAE, images(), out, "--steps", "1");
    assertFails(
        r,
        "--vae "
            + VAE
            + " encodes images to 4-channel latents, but --model builtin:fmnist-dit takes"
            + " 1-channel inputs (a pixel-space model");
    assertFalse(Files.exists(out));
  }

  @Test
  public void imagesForALatentModelNeedAVae() throws Exception {
    Path data = images();
    Path out = path("novae.json");
    String[] r = train(DIT, null, data, out, "--steps", "1");
    assertFails(r, "--data " + data + " is a folder of image files", "pass --vae VAE");
    assertFalse(Files.exists(out));
  }

  @Test
  public void anEmptyImageFolderIsNamed() throws Exception {
    Path empty = path("empty");
    Files.createDirectories(empty);
    Path out = path("empty.json");
    assertFails(train(DIT, VAE, empty, out, "--steps", "1"), empty + ": no image files");
    assertFalse(Files.exists(out));
  }

  @Test
  public void anUnreadableImageIsNamedAndNothingIsWritten() throws Exception {
    Path data = images();
    Path broken = data.resolve("n02/zz.png");
    Files.write(broken, "not a png".getBytes(StandardCharsets.UTF_8));
    Path out = path("broken.json");
    assertFails(train(DIT, VAE, data, out, "--steps", "1"), broken.toString());
    assertFalse(Files.exists(out));
    assertFalse(Files.exists(RouterCheckpoint.besideOutput(out)));
  }

  @Test
  public void moreClassFoldersThanTheModelHasClassesAreNamed() throws Exception {
    Path data = path("many");
    for (int c = 0; c < 11; c++) writePng(data.resolve(String.format("c%02d/i.png", c)), 16, 16, c);
    assertFails(
        train(DIT, VAE, data, path("many.json"), "--steps", "1"),
        data + " has 11 class subfolders, but the model has 10 classes");
  }

  @Test
  public void aVaeWithLatentDataIsRefused() throws Exception {
    Path latents = path("lat.safetensors");
    Files.write(latents, new byte[16]);
    assertFails(
        train(DIT, VAE, latents, path("lat.json"), "--steps", "1"),
        "--vae encodes a folder of images, but --data " + latents + " is not a folder",
        "drop --vae");
  }

  @Test
  public void aFileThatIsNotAVaeIsNamed() throws Exception {
    assertFails(
        train(DIT, DIT, images(), path("notvae.json"), "--steps", "1"),
        DIT + ": not a Stable-Diffusion VAE checkpoint");
  }
}
