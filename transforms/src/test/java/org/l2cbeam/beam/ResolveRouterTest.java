package org.l2cbeam.beam;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.endsWith;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.Assert.assertThrows;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.View;
import org.apache.beam.sdk.values.PCollectionView;
import org.junit.BeforeClass;
import org.junit.ClassRule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;
import org.l2cbeam.core.router.RouterArtifact;
import org.l2cbeam.registry.RouterRegistry;

/**
 * CachedSample with routers resolved from a local RouterRegistry, on DirectRunner and the bundled
 * DiT.
 */
public class ResolveRouterTest {
  private static final String MODEL = "builtin:fmnist-dit";
  private static final int STEPS = 6;
  @ClassRule public static final TemporaryFolder TMP = new TemporaryFolder();

  private static Path registryDir;
  private static RouterArtifact v1;
  private static RouterArtifact v2;
  private static final List<SampleRequest> REQUESTS =
      List.of(
          SampleRequest.of(0, 1, 500), SampleRequest.of(1, 4, 501), SampleRequest.of(2, 8, 502));

  @BeforeClass
  public static void publishTwoVersions() throws Exception {
    String fingerprint = FamilyModels.describe(MODEL, 0, null).fingerprint();
    v1 = forModel(TestRouters.random(STEPS, 16, 0.5, 11), fingerprint);
    v2 = forModel(TestRouters.random(STEPS, 16, 0.5, 12), fingerprint);
    registryDir = TMP.newFolder("registry").toPath();
    RouterRegistry registry = RouterRegistry.open(registryDir.toString());
    registry.publish(v1, RouterRegistry.NONE);
    registry.publish(v2, 1);
  }

  private static RouterArtifact forModel(RouterArtifact r, String fingerprint) {
    return new RouterArtifact(fingerprint, r.scores(), r.sampler(), r.theta(), r.provenance());
  }

  private static List<GeneratedSample> sample(String run, String router) {
    Pipeline p = Pipeline.create(PipelineOptionsFactory.fromArgs("--runner=DirectRunner").create());
    PCollectionView<ModelRef> model = p.apply(LoadModel.from(MODEL)).apply(View.asSingleton());
    p.apply(Create.of(REQUESTS))
        .apply(
            CachedSample.using(model)
                .withSteps(STEPS)
                .withRouter(router)
                .withTheta(0.5)
                .withBatchSize(4))
        .apply(ParDo.of(new CachedSampleTest.Collect(run)));
    p.run().waitUntilFinish();
    List<GeneratedSample> out = new ArrayList<>(CachedSampleTest.COLLECTED.get(run));
    out.sort(Comparator.comparingLong(GeneratedSample::id));
    return out;
  }

  @Test
  public void latestIsResolvedAndItsVersionNamedInTheScheduleId() throws Exception {
    List<GeneratedSample> fromRegistry = sample("registry-latest", "registry+" + registryDir);
    Path file = TestRouters.write(v2, TMP.getRoot().toPath(), "v2.json");
    List<GeneratedSample> fromFile = sample("file-v2", file.toString());
    assertThat(fromRegistry.size(), equalTo(REQUESTS.size()));
    for (int i = 0; i < REQUESTS.size(); i++) {
      assertThat(fromRegistry.get(i).scheduleId(), equalTo(fromFile.get(i).scheduleId() + "@v2"));
      assertThat("request " + i, fromRegistry.get(i).image(), equalTo(fromFile.get(i).image()));
    }
    FidResult fid = FidResult.of(1.0, 3, 2, "x", "y", "", fromRegistry.get(0).scheduleId());
    assertThat(fid.theta(), equalTo(0.5));
  }

  @Test
  public void aPinnedVersionIsUsedInsteadOfTheLatest() {
    List<GeneratedSample> pinned = sample("registry-v1", "registry+" + registryDir.toUri() + "#v1");
    assertThat(pinned.get(0).scheduleId(), endsWith("@v1"));
  }

  @Test
  public void aKeyWithNothingPublishedFailsTheRunNamingTheRegistry() throws Exception {
    Path empty = TMP.newFolder("empty-registry").toPath();
    RuntimeException e =
        assertThrows(RuntimeException.class, () -> sample("none", "registry+" + empty));
    Throwable root = e;
    while (root.getCause() != null) root = root.getCause();
    assertThat(root.getMessage(), containsString("registry " + empty + " has no router published"));
    assertThat(root.getMessage(), containsString("ddim-" + STEPS));
  }

  @Test
  public void malformedRegistryLocationsAreRejectedAtConstruction() {
    Pipeline p = Pipeline.create();
    PCollectionView<ModelRef> model = p.apply(LoadModel.from(MODEL)).apply(View.asSingleton());
    for (String bad : new String[] {"registry+", "registry+#v2", "registry+/a#b#v2"}) {
      IllegalArgumentException e =
          assertThrows(
              IllegalArgumentException.class, () -> CachedSample.using(model).withRouter(bad));
      assertThat(e.getMessage(), containsString("CachedSample.withRouter"));
    }
  }
}
