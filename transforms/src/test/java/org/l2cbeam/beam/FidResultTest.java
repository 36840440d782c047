package org.l2cbeam.beam;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.greaterThanOrEqualTo;
import static org.hamcrest.Matchers.lessThan;
import static org.hamcrest.Matchers.startsWith;
import static org.junit.Assert.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.View;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionView;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/**
 * A FidResult says what it measured: the label, the samples' schedule, θ and the MACs the schedule
 * removed.
 */
public class FidResultTest {
  private static final int STEPS = 6;
  @Rule public TemporaryFolder tmp = new TemporaryFolder();

  @Test
  public void scheduleIdsCarryThetaAndMacsRemoved() {
    String id = ScheduleId.cached("ddim20", 0.754, 0.25234, "3f9a02c1");
    assertThat(id, equalTo("ddim20-l2c-theta0.754-macs0.252-3f9a02c1"));
    assertThat(ScheduleId.theta(id), equalTo(0.754));
    assertThat(ScheduleId.macsRemoved(id), equalTo(0.252));
    assertTrue(Double.isNaN(ScheduleId.theta("ddim20")));
    assertThat(ScheduleId.macsRemoved("ddim20"), equalTo(0.0));
    FidResult several = FidResult.of(1, 2, 3, "e", "r", "", "ddim20," + id);
    assertTrue("several schedules: no single theta", Double.isNaN(several.theta()));
  }

  @Test
  public void plainAndCachedResultsNameTheirSetting() throws Exception {
    Path router =
        TestRouters.write(TestRouters.random(STEPS, 16, 0.5, 7), tmp.getRoot().toPath(), "r.json");
    List<SampleRequest> requests = new ArrayList<>();
    for (int i = 0; i < 4; i++) requests.add(SampleRequest.of(i, i % 10, 1000 + i));
    Pipeline p = Pipeline.create(PipelineOptionsFactory.create());
    PCollectionView<ModelRef> model =
        p.apply(LoadModel.from("builtin:fmnist-dit")).apply(View.asSingleton());
    PCollection<SampleRequest> req = p.apply(Create.of(requests));
    String plainFile = tmp.getRoot().toPath().resolve("plain.json").toString();
    String cachedFile = tmp.getRoot().toPath().resolve("cached.json").toString();
    req.apply("Plain", CachedSample.using(model).withSteps(STEPS))
        .apply("FidPlain", ComputeFID.against("builtin:fmnist-test-stats").withLabel("plain"))
        .apply("WritePlain", WriteFidResult.to(plainFile));
    req.apply(
            "Cached",
            CachedSample.using(model)
                .withSteps(STEPS)
                .withRouter(router.toString())
                .withMacsRemoved(0.2))
        .apply("FidCached", ComputeFID.against("builtin:fmnist-test-stats").withLabel("L2C 20%"))
        .apply("WriteCached", WriteFidResult.to(cachedFile));
    p.run().waitUntilFinish();

    FidResult plain = WriteFidResult.read(plainFile);
    assertThat(plain.label(), equalTo("plain"));
    assertThat(plain.scheduleId(), equalTo("ddim" + STEPS));
    assertTrue(Double.isNaN(plain.theta()));
    assertThat(plain.macsRemoved(), equalTo(0.0));
    assertThat(plain.imageCount(), equalTo(4L));

    FidResult cached = WriteFidResult.read(cachedFile);
    assertThat(cached.label(), equalTo("L2C 20%"));
    assertThat(cached.scheduleId(), startsWith("ddim" + STEPS + "-l2c-theta"));
    assertThat(cached.macsRemoved(), greaterThanOrEqualTo(0.2));
    assertThat(cached.macsRemoved(), lessThan(1.0));
    assertTrue("theta in (0, 1)", cached.theta() > 0 && cached.theta() < 1);
  }
}
