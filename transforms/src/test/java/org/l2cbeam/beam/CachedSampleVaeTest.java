package org.l2cbeam.beam;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.Assert.assertThrows;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.View;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionView;
import org.junit.BeforeClass;
import org.junit.Test;
import org.l2cbeam.core.image.ImageBatch;
import org.l2cbeam.core.image.SampleQuantization;
import org.l2cbeam.core.runtime.Torch;
import org.l2cbeam.core.vae.AutoencoderKL;

/**
 * A latent DiT (the test vectors' 4×8×8 model) with a VAE (the vectors' small AutoencoderKL):
 * without a VAE CachedSample gives float latents; with {@code withVae} it gives exactly those
 * latents decoded and quantised as DiT does, with the sampling time unchanged in kind (decode
 * outside it); ComputeFID's {@code withVae} decodes the same way.
 */
public class CachedSampleVaeTest {
  static final ConcurrentMap<String, List<GeneratedSample>> COLLECTED = new ConcurrentHashMap<>();
  static String model;
  static String vae;
  static List<SampleRequest> requests;

  @BeforeClass
  public static void setUp() throws Exception {
    model =
        Path.of(CachedSampleVaeTest.class.getResource("/dit_model.safetensors").toURI()).toString();
    vae =
        Path.of(CachedSampleVaeTest.class.getResource("/vae_model.safetensors").toURI()).toString();
    requests = new ArrayList<>();
    for (int i = 0; i < 5; i++) requests.add(SampleRequest.of(i, i % 10, 300 + i));
  }

  static final class Collect extends DoFn<GeneratedSample, Void> {
    private final String run;

    Collect(String run) {
      this.run = run;
    }

    @ProcessElement
    public void process(@Element GeneratedSample s) {
      COLLECTED.computeIfAbsent(run, k -> Collections.synchronizedList(new ArrayList<>())).add(s);
    }
  }

  private static List<GeneratedSample> sample(String run, boolean withVae) {
    Pipeline p = Pipeline.create(PipelineOptionsFactory.fromArgs("--runner=DirectRunner").create());
    PCollectionView<ModelRef> ref =
        p.apply(LoadModel.from(model).withNumHeads(4)).apply(View.asSingleton());
    CachedSample t = CachedSample.using(ref).withSteps(4).withCfgScale(1.5).withBatchSize(2);
    if (withVae) t = t.withVae(vae);
    p.apply(Create.of(requests)).apply(t).apply(ParDo.of(new Collect(run)));
    assertThat(p.run().waitUntilFinish(), equalTo(PipelineResult.State.DONE));
    List<GeneratedSample> out = new ArrayList<>(COLLECTED.get(run));
    out.sort(Comparator.comparingLong(GeneratedSample::id));
    return out;
  }

  private static byte[] decodeInProcess(GeneratedSample latent) {
    try (AutoencoderKL decoder = AutoencoderKL.load(Path.of(vae));
        NDManager m = Torch.newManager()) {
      Torch.inferenceMode();
      float[] images =
          decoder
              .decode(
                  m.create(
                      latent.latent(),
                      new Shape(1, latent.channels(), latent.height(), latent.width())))
              .toFloatArray();
      int side = latent.height() * decoder.config().downsamplingFactor();
      return SampleQuantization.DIT.toNhwc(images, new long[] {1, 3, side, side});
    }
  }

  @Test
  public void withVaeGivesTheDecodedLatentsAsImages() {
    List<GeneratedSample> latents = sample("latents", false);
    List<GeneratedSample> images = sample("images", true);
    assertThat(latents.size(), equalTo(requests.size()));
    for (int i = 0; i < requests.size(); i++) {
      GeneratedSample l = latents.get(i);
      GeneratedSample img = images.get(i);
      assertThat("a latent model without a VAE gives latents", l.isImage(), equalTo(false));
      assertThat(l.channels(), equalTo(4));
      assertThat(img.isImage(), equalTo(true));
      assertThat(img.channels(), equalTo(3));
      assertThat(img.request(), equalTo(l.request()));
      assertThat(img.scheduleId(), equalTo(l.scheduleId()));
      assertThat("request " + i, img.image(), equalTo(decodeInProcess(l)));
    }
  }

  @Test
  public void computeFidWithVaeDecodesLatentsTheSameWay() {
    List<GeneratedSample> latents = sample("latents-for-fid", false);
    Pipeline p = Pipeline.create(PipelineOptionsFactory.fromArgs("--runner=DirectRunner").create());
    p.apply(Create.of(latents.get(0)).withCoder(GeneratedSampleCoder.of()))
        .apply(ParDo.of(new ComputeFID.SampleToImageFn(VaeRef.resolve("ComputeFID.withVae", vae))))
        .setCoder(ImageBatchCoder.of())
        .apply(ParDo.of(new CollectImages()));
    assertThat(p.run().waitUntilFinish(), equalTo(PipelineResult.State.DONE));
    assertThat(IMAGES.size(), equalTo(1));
    assertThat(IMAGES.get(0).pixels(), equalTo(decodeInProcess(latents.get(0))));

    Pipeline q = Pipeline.create(PipelineOptionsFactory.fromArgs("--runner=DirectRunner").create());
    q.apply(Create.of(latents.get(0)).withCoder(GeneratedSampleCoder.of()))
        .apply(ParDo.of(new ComputeFID.SampleToImageFn(null)))
        .setCoder(ImageBatchCoder.of());
    Exception e = assertThrows(Exception.class, () -> q.run().waitUntilFinish());
    assertThat(String.valueOf(e.getMessage()), containsString("withVae"));
  }

  static final List<ImageBatch> IMAGES = Collections.synchronizedList(new ArrayList<>());

  static final class CollectImages extends DoFn<ImageBatch, Void> {
    @ProcessElement
    public void process(@Element ImageBatch b) {
      IMAGES.add(b);
    }
  }

  @Test
  public void aFileThatIsNotAVaeIsRejectedAtConstructionNamingOptionAndFile() {
    Pipeline p = Pipeline.create(PipelineOptionsFactory.fromArgs("--runner=DirectRunner").create());
    PCollectionView<ModelRef> ref =
        p.apply(LoadModel.from(model).withNumHeads(4)).apply(View.asSingleton());
    // Read when the pipeline is built (expand), as Beam's IOs validate their files.
    PCollection<SampleRequest> in = p.apply(Create.of(requests));
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class, () -> in.apply(CachedSample.using(ref).withVae(model)));
    assertThat(e.getMessage(), containsString("CachedSample.withVae"));
    assertThat(e.getMessage(), containsString("dit_model.safetensors"));
    PCollection<GeneratedSample> samples = in.apply("Plain", CachedSample.using(ref).withSteps(2));
    ComputeFID fidWithMissingVae =
        ComputeFID.against("builtin:fmnist-test-stats").withVae("/no/such/vae.safetensors");
    IllegalArgumentException missing =
        assertThrows(IllegalArgumentException.class, () -> samples.apply("Fid", fidWithMissingVae));
    assertThat(missing.getMessage(), containsString("ComputeFID.withVae"));
    assertThat(missing.getMessage(), containsString("/no/such/vae.safetensors"));
  }

  @Test
  public void aVaeForAnotherChannelCountFailsThePipelineNamingIt() {
    Pipeline p = Pipeline.create(PipelineOptionsFactory.fromArgs("--runner=DirectRunner").create());
    PCollectionView<ModelRef> ref =
        p.apply(LoadModel.from("builtin:fmnist-dit")).apply(View.asSingleton());
    p.apply(Create.of(requests)).apply(CachedSample.using(ref).withSteps(2).withVae(vae));
    Exception e = assertThrows(Exception.class, () -> p.run().waitUntilFinish());
    Throwable root = e;
    StringBuilder all = new StringBuilder();
    while (root != null) {
      all.append(root.getMessage()).append('\n');
      root = root.getCause();
    }
    assertThat(all.toString(), containsString("CachedSample.withVae"));
    assertThat(all.toString(), containsString("4-channel latents"));
  }
}
