package org.l2cbeam.beam;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.sameInstance;
import static org.junit.Assert.assertThrows;

import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.testing.CoderProperties;
import org.apache.beam.sdk.testing.PAssert;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.Reshuffle;
import org.apache.beam.sdk.util.CoderUtils;
import org.apache.beam.sdk.values.PCollection;
import org.junit.Test;

/**
 * Every value type round-trips through its coder (in both nested and outer contexts) and is found
 * by inference.
 */
public class ValueTypeCodersTest {
  private static final SampleRequest REQUEST = SampleRequest.of(7, 3, -1234567890123L);

  @Test
  public void sampleRequestRoundTrips() throws Exception {
    CoderProperties.coderDecodeEncodeEqual(SampleRequestCoder.of(), REQUEST);
    CoderProperties.coderDeterministic(
        SampleRequestCoder.of(), REQUEST, SampleRequest.of(7, 3, -1234567890123L));
    CoderProperties.coderSerializable(SampleRequestCoder.of());
  }

  @Test
  public void imageSampleRoundTripsBitExact() throws Exception {
    byte[] hwc = new byte[2 * 3 * 1];
    for (int i = 0; i < hwc.length; i++)
      hwc[i] = (byte) (250 + i); // values above 127 survive as uint8
    GeneratedSample s = GeneratedSample.ofImage(REQUEST, 1, 2, 3, hwc, "ddim20-theta0.1", 4321);
    CoderProperties.coderDecodeEncodeEqual(GeneratedSampleCoder.of(), s);
    GeneratedSample back = CoderUtils.clone(GeneratedSampleCoder.of(), s);
    assertThat(back.image(), equalTo(hwc));
    assertThat(back.isImage(), equalTo(true));
    assertThat(back.request(), equalTo(REQUEST));
  }

  @Test
  public void latentSampleRoundTripsBitExact() throws Exception {
    float[] chw = {1.5f, -0f, Float.MIN_VALUE, Float.NaN, 3.4e38f, -2.25f, 0.1f, 7f};
    GeneratedSample s = GeneratedSample.ofLatent(REQUEST, 2, 2, 2, chw, "plain", 10);
    GeneratedSample back = CoderUtils.clone(GeneratedSampleCoder.of(), s);
    for (int i = 0; i < chw.length; i++) {
      assertThat(
          Float.floatToRawIntBits(back.latent()[i]), equalTo(Float.floatToRawIntBits(chw[i])));
    }
    assertThat(back.isImage(), equalTo(false));
  }

  @Test
  public void trainingExampleModelRefAndFidResultRoundTrip() throws Exception {
    CoderProperties.coderDecodeEncodeEqual(
        TrainingExampleCoder.of(), TrainingExample.of(9, 1, 2, 2, new float[] {-1f, 0f, 0.5f, 1f}));
    CoderProperties.coderDecodeEncodeEqual(
        ModelRefCoder.of(),
        ModelRef.of(
            "builtin:fmnist-dit", "ab12", "dit", 32, 1, 10, 16, 4, "{\"depth\":8,\"name\":\"é\"}"));
    CoderProperties.coderDecodeEncodeEqual(
        FidResultCoder.of(),
        FidResult.of(12.345678901234, 80, 128, "builtin:fmnist-features", "ref.npz"));
  }

  /**
   * A cache step's router keeps its logits bit for bit (a NaN payload and -0 too) and its training
   * map as the router JSON reads it back: integral numbers as Long, arrays as lists.
   */
  @Test
  public void cacheStepRouterRoundTripsExactly() throws Exception {
    float[][] logits = {{1.5f, -0f, Float.intBitsToFloat(0x7fc00001)}, {3e-38f, -5f, 5f}};
    java.util.Map<String, Object> training = new java.util.LinkedHashMap<>();
    training.put("lambda", 5e-6);
    training.put("batch", 8L);
    training.put("routerSteps", java.util.List.of(0L, 4L));
    training.put("loss", java.util.Map.of("minLoss", 0.25));
    CacheStepRouter r = new CacheStepRouter(1, logits, training, "data-fp");
    CoderProperties.coderDecodeEncodeEqual(CacheStepRouterCoder.of(), r);
    CacheStepRouter back = org.apache.beam.sdk.util.CoderUtils.clone(CacheStepRouterCoder.of(), r);
    for (int k = 0; k < logits.length; k++) {
      for (int u = 0; u < logits[k].length; u++) {
        org.junit.Assert.assertEquals(
            Float.floatToRawIntBits(logits[k][u]), Float.floatToRawIntBits(back.logits[k][u]));
      }
    }
    org.junit.Assert.assertEquals(training, back.training);
    CoderProperties.coderSerializable(CacheStepRouterCoder.of());
  }

  @Test
  public void sizesAreCheckedWhenBuilt() {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> GeneratedSample.ofImage(REQUEST, 1, 2, 2, new byte[3], "plain", 0));
    assertThat(e.getMessage(), containsString("sample 7"));
    e = assertThrows(IllegalArgumentException.class, () -> SampleRequest.of(1, -1, 0));
    assertThat(e.getMessage(), containsString("label"));
  }

  @Test
  public void coderRegistryFindsOurCodersForAutoValueSubclasses() throws Exception {
    Pipeline p = Pipeline.create(PipelineOptionsFactory.create());
    assertThat(
        p.getCoderRegistry().getCoder(SampleRequest.class), sameInstance(SampleRequestCoder.of()));
    assertThat(
        p.getCoderRegistry().getCoder(REQUEST.getClass()), sameInstance(SampleRequestCoder.of()));
    assertThat(
        p.getCoderRegistry().getCoder(GeneratedSample.class),
        sameInstance(GeneratedSampleCoder.of()));
    assertThat(p.getCoderRegistry().getCoder(FidResult.class), sameInstance(FidResultCoder.of()));
  }

  @Test
  public void createInfersTheCoderAndElementsSurviveAShuffle() {
    Pipeline p = Pipeline.create(PipelineOptionsFactory.fromArgs("--runner=DirectRunner").create());
    PCollection<SampleRequest> requests =
        p.apply(Create.of(REQUEST, SampleRequest.of(8, 0, 1))).apply(Reshuffle.viaRandomKey());
    assertThat(requests.getCoder(), equalTo((Coder<SampleRequest>) SampleRequestCoder.of()));
    PAssert.that(requests).containsInAnyOrder(REQUEST, SampleRequest.of(8, 0, 1));
    p.run().waitUntilFinish();
  }
}
