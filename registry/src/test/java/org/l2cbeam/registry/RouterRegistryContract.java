package org.l2cbeam.registry;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.startsWith;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNotEquals;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.Before;
import org.junit.Test;
import org.l2cbeam.core.router.RouterArtifact;

/**
 * The registry's contract, run against every backend: each backend's test extends this with a
 * fresh, empty store. Faults are injected with {@link FaultyStore} around the backend's real store.
 */
public abstract class RouterRegistryContract {
  protected RegistryStore store;
  protected RouterRegistry registry;

  /** A fresh, empty store of the backend under test. */
  protected abstract RegistryStore newStore() throws Exception;

  @Before
  public void openRegistry() throws Exception {
    store = newStore();
    registry = RouterRegistry.on(store);
  }

  private static RouterKey keyA() {
    return TestRouters.keyA();
  }

  private static RouterArtifact a(int variant) {
    return TestRouters.router(TestRouters.MODEL_A, variant);
  }

  private List<RegistryEntry.Status> statuses() {
    return registry.list(keyA()).stream().map(RegistryEntry::status).collect(Collectors.toList());
  }

  // ----------------------------------------------------------------------------------------------
  // the store itself

  @Test
  public void storeRefusesAnExistingObjectAndAStaleGeneration() {
    String g1 = store.createIfAbsent("k/obj.json", bytes("one"));
    PreconditionFailedException exists =
        assertThrows(
            PreconditionFailedException.class,
            () -> store.createIfAbsent("k/obj.json", bytes("two")));
    assertThat(exists.getMessage(), containsString("obj.json"));
    assertEquals("one", text(store.read("k/obj.json").get().bytes()));

    String g2 = store.replaceIfGeneration("k/obj.json", bytes("two"), g1);
    assertNotEquals(g1, g2);
    assertEquals(g2, store.read("k/obj.json").get().generation());
    // The writer that read generation g1 is now stale: its compare-and-swap must fail and change
    // nothing.
    assertThrows(
        PreconditionFailedException.class,
        () -> store.replaceIfGeneration("k/obj.json", bytes("three"), g1));
    assertEquals("two", text(store.read("k/obj.json").get().bytes()));
    assertThrows(
        PreconditionFailedException.class,
        () -> store.replaceIfGeneration("k/none.json", bytes("x"), g1));
    assertTrue(store.read("k/none.json").isEmpty());
    assertEquals(List.of("k/obj.json"), store.list("k/"));
  }

  // ----------------------------------------------------------------------------------------------
  // publish and read

  @Test
  public void emptyRegistryHasNoLatest() {
    assertTrue(registry.latest(keyA()).isEmpty());
    assertTrue(registry.list(keyA()).isEmpty());
    RegistryException e = assertThrows(RegistryException.class, () -> registry.get(keyA(), 1));
    assertThat(e.getMessage(), containsString("no version v1"));
  }

  @Test
  public void firstPublishBecomesLatestWithItsManifest() {
    RouterArtifact candidate = a(1);
    PublishResult r = registry.publish(candidate, RouterRegistry.NONE, Map.of("fid", 21.5));
    assertEquals(PublishResult.Outcome.PUBLISHED, r.outcome());
    assertEquals(1, r.version());
    assertEquals(1, r.latest());

    PublishedRouter latest = registry.latest(keyA()).orElseThrow();
    assertEquals(1, latest.version());
    assertEquals(candidate.toJson(), latest.router().toJson());
    assertThat(latest.location(), containsString(TestRouters.MODEL_A + "/ddim-20/v1/router.json"));
    VersionManifest m = latest.manifest();
    assertEquals(keyA(), m.key());
    assertEquals(
        RouterRegistry.sha256(candidate.toJson().getBytes(StandardCharsets.UTF_8)),
        m.routerSha256());
    assertEquals("data-1", m.trainingDataFingerprint());
    assertEquals(5e-6, ((Number) m.hyperParameters().get("lambda")).doubleValue(), 0);
    assertEquals(40, ((Number) m.hyperParameters().get("iterations")).intValue());
    assertEquals(0.1, ((Number) m.hyperParameters().get("theta")).doubleValue(), 0);
    assertEquals(21.5, m.metric("fid").getAsDouble(), 0);
    assertEquals(0, m.parentVersion());
    assertThat(m.tool(), startsWith("l2c-beam "));
    assertFalse(m.tool().contains("${"));
    assertEquals(List.of(RegistryEntry.Status.LATEST), statuses());
  }

  @Test
  public void publishingIdenticalBytesWritesNothing() {
    registry.publish(a(1), RouterRegistry.NONE);
    TreeSet<String> before = new TreeSet<>(store.list(""));
    String pointerGeneration = store.read(keyA().latestObject()).get().generation();

    PublishResult again = registry.publish(a(1), 1, Map.of("fid", 99.0));
    assertEquals(PublishResult.Outcome.ALREADY_STORED, again.outcome());
    assertEquals(1, again.version());
    assertThat(again.describe(), containsString("already the latest"));
    assertEquals(before, new TreeSet<>(store.list("")));
    assertEquals(pointerGeneration, store.read(keyA().latestObject()).get().generation());
  }

  @Test
  public void laterPublishSupersedesAndRecordsItsParent() {
    registry.publish(a(1), RouterRegistry.NONE);
    PublishResult r = registry.publish(a(2), 1);
    assertEquals(PublishResult.Outcome.PUBLISHED, r.outcome());
    assertEquals(2, registry.latest(keyA()).orElseThrow().version());
    assertEquals(1, registry.get(keyA(), 2).manifest().parentVersion());
    assertEquals(List.of(RegistryEntry.Status.SUPERSEDED, RegistryEntry.Status.LATEST), statuses());
    assertEquals(a(1).toJson(), registry.get(keyA(), 1).router().toJson());
  }

  @Test
  public void manifestSaysWhetherAndFromWhichVersionTheCandidateWasWarmStarted() {
    registry.publish(a(1), RouterRegistry.NONE);
    PublishedRouter v1 = registry.get(keyA(), 1);
    // What TrainRouter.withInitialRouter records when it starts from the registry's v1 (as its JSON
    // reads back).
    RouterArtifact continued =
        a(2).withTraining(
                Map.of(
                    WarmStartOrigin.PROVENANCE_KEY,
                    Map.of(
                        "router",
                        v1.location(),
                        "version",
                        1.0,
                        "routerSha256",
                        v1.manifest().routerSha256())));
    registry.publish(continued, 1);

    assertTrue(
        "v1 was trained from the seed", registry.get(keyA(), 1).manifest().warmStart().isEmpty());
    assertThat(
        new String(
            store.read(keyA().versionObject(1, "manifest.json")).get().bytes(),
            StandardCharsets.UTF_8),
        containsString("\"warmStart\": null"));
    WarmStartOrigin origin = registry.get(keyA(), 2).manifest().warmStart().orElseThrow();
    assertEquals(1, origin.version());
    assertEquals(v1.manifest().routerSha256(), origin.routerSha256());
    assertEquals(v1.location(), origin.router());
    assertEquals(1, registry.get(keyA(), 2).manifest().parentVersion());
  }

  @Test
  public void staleExpectationStoresTheCandidateButLeavesLatest() {
    registry.publish(a(1), RouterRegistry.NONE);
    registry.publish(a(2), 1);
    PublishResult r = registry.publish(a(3), 1);
    assertEquals(PublishResult.Outcome.CONFLICT, r.outcome());
    assertEquals(3, r.version());
    assertThat(r.describe(), containsString("latest moved from v1 to v2"));
    assertEquals(2, registry.latest(keyA()).orElseThrow().version());
    assertEquals(
        List.of(
            RegistryEntry.Status.SUPERSEDED,
            RegistryEntry.Status.LATEST,
            RegistryEntry.Status.UNPUBLISHED),
        statuses());
  }

  @Test
  public void rollbackIsANewPointerGenerationWithHistory() {
    registry.publish(a(1), RouterRegistry.NONE);
    registry.publish(a(2), 1);
    PublishedRouter back = registry.rollback(keyA(), 1);
    assertEquals(1, back.version());
    assertEquals(1, registry.latest(keyA()).orElseThrow().version());
    LatestPointer p = registry.pointer(keyA()).orElseThrow();
    assertEquals(3, p.sequence());
    assertEquals(
        List.of("publish", "publish", "rollback"),
        p.history().stream().map(LatestPointer.Change::action).collect(Collectors.toList()));
    assertEquals(List.of(RegistryEntry.Status.LATEST, RegistryEntry.Status.SUPERSEDED), statuses());
    // Publishing v2's bytes again names the stored version and does not move the pointer.
    PublishResult again = registry.publish(a(2), 1);
    assertEquals(PublishResult.Outcome.ALREADY_STORED, again.outcome());
    assertThat(again.describe(), containsString("not the latest (v1)"));
    assertEquals(1, registry.latest(keyA()).orElseThrow().version());
    assertThrows(RegistryException.class, () -> registry.rollback(keyA(), 7));
  }

  // ----------------------------------------------------------------------------------------------
  // concurrency

  @Test
  public void concurrentPublishersExactlyOneWins() throws Exception {
    registry.publish(a(1), RouterRegistry.NONE);
    int publishers = 4;
    CyclicBarrier start = new CyclicBarrier(publishers);
    ExecutorService pool = Executors.newFixedThreadPool(publishers);
    List<Future<PublishResult>> futures = new ArrayList<>();
    for (int i = 0; i < publishers; i++) {
      int variant = 10 + i;
      futures.add(
          pool.submit(
              () -> {
                RouterRegistry own = RouterRegistry.on(store);
                start.await(30, TimeUnit.SECONDS);
                return own.publish(a(variant), 1);
              }));
    }
    List<PublishResult> results = new ArrayList<>();
    for (Future<PublishResult> f : futures) results.add(f.get(120, TimeUnit.SECONDS));
    pool.shutdown();

    List<PublishResult> winners =
        results.stream().filter(PublishResult::published).collect(Collectors.toList());
    assertEquals("exactly one publisher wins: " + results, 1, winners.size());
    int winner = winners.get(0).version();
    for (PublishResult r : results) {
      if (r.published()) continue;
      assertEquals(PublishResult.Outcome.CONFLICT, r.outcome());
      assertThat(r.describe(), containsString("latest moved from v1 to v" + winner));
    }
    assertEquals(winner, registry.latest(keyA()).orElseThrow().version());
    List<RegistryEntry> entries = registry.list(keyA());
    assertEquals("no version is lost", publishers + 1, entries.size());
    assertEquals(
        publishers - 1,
        entries.stream().filter(e -> e.status() == RegistryEntry.Status.UNPUBLISHED).count());
    TreeSet<Integer> versions = new TreeSet<>();
    for (PublishResult r : results) versions.add(r.version());
    assertEquals("every publisher got its own version", publishers, versions.size());
  }

  // ----------------------------------------------------------------------------------------------
  // faults

  @Test
  public void failedPointerUpdateLeavesLatestAndListsTheVersionUnpublished() {
    registry.publish(a(1), RouterRegistry.NONE);
    RouterRegistry faulty =
        RouterRegistry.on(
            new FaultyStore(store, k -> k.endsWith("latest.json"), FaultyStore.Fault.FAIL));
    RegistryException e = assertThrows(RegistryException.class, () -> faulty.publish(a(2), 1));
    assertThat(e.getMessage(), containsString("latest.json"));
    assertEquals(1, registry.latest(keyA()).orElseThrow().version());
    assertEquals(
        List.of(RegistryEntry.Status.LATEST, RegistryEntry.Status.UNPUBLISHED), statuses());
    assertEquals(a(2).toJson(), registry.get(keyA(), 2).router().toJson());
    // The orphan can still be promoted, and new publishes continue after it.
    assertEquals(2, registry.rollback(keyA(), 2).version());
    assertEquals(3, registry.publish(a(3), 2).version());
  }

  @Test
  public void failedManifestWriteLeavesAnIncompleteVersionThatIsNeverUsed() {
    registry.publish(a(1), RouterRegistry.NONE);
    RouterRegistry faulty =
        RouterRegistry.on(
            new FaultyStore(store, k -> k.endsWith("manifest.json"), FaultyStore.Fault.FAIL));
    RegistryException e = assertThrows(RegistryException.class, () -> faulty.publish(a(2), 1));
    assertThat(e.getMessage(), containsString("v2/manifest.json"));
    assertThat(e.getMessage(), containsString("latest is unchanged"));
    assertEquals(1, registry.latest(keyA()).orElseThrow().version());
    assertEquals(List.of(RegistryEntry.Status.LATEST, RegistryEntry.Status.INCOMPLETE), statuses());
    assertNull(registry.list(keyA()).get(1).manifest());
    RegistryException incomplete =
        assertThrows(RegistryException.class, () -> registry.get(keyA(), 2));
    assertThat(incomplete.getMessage(), containsString("v2 is incomplete"));
    assertThrows(RegistryException.class, () -> registry.rollback(keyA(), 2));
    // The same candidate published again gets the next number; the incomplete one stays listed.
    PublishResult retry = registry.publish(a(2), 1);
    assertEquals(PublishResult.Outcome.PUBLISHED, retry.outcome());
    assertEquals(3, retry.version());
  }

  // ----------------------------------------------------------------------------------------------
  // bad input

  @Test
  public void corruptManifestIsNamedAndNothingIsPublished() {
    registry.publish(a(1), RouterRegistry.NONE);
    store.createIfAbsent(keyA().versionObject(2, RouterRegistry.ROUTER), bytes(a(2).toJson()));
    store.createIfAbsent(
        keyA().versionObject(2, RouterRegistry.MANIFEST), bytes("{\"format\": \"l2c-router-manif"));
    TreeSet<String> before = new TreeSet<>(store.list(""));
    RegistryException e = assertThrows(RegistryException.class, () -> registry.publish(a(3), 1));
    assertThat(
        e.getMessage(), startsWith(store.locate(keyA().versionObject(2, RouterRegistry.MANIFEST))));
    assertThat(e.getMessage(), containsString("not valid JSON"));
    assertEquals(before, new TreeSet<>(store.list("")));
    assertEquals(1, registry.latest(keyA()).orElseThrow().version());
  }

  @Test
  public void versionCopiedIntoAnotherModelsFolderIsRejected() {
    registry.publish(a(1), RouterRegistry.NONE);
    RouterKey keyB = new RouterKey(TestRouters.MODEL_B, "ddim", 20);
    for (String name : List.of(RouterRegistry.ROUTER, RouterRegistry.MANIFEST)) {
      store.createIfAbsent(
          keyB.versionObject(1, name), store.read(keyA().versionObject(1, name)).get().bytes());
    }
    store.createIfAbsent(keyB.latestObject(), store.read(keyA().latestObject()).get().bytes());
    RegistryException e = assertThrows(RegistryException.class, () -> registry.latest(keyB));
    assertThat(
        e.getMessage(), startsWith(store.locate(keyB.versionObject(1, RouterRegistry.MANIFEST))));
    assertThat(e.getMessage(), containsString("written for model sha256 " + TestRouters.MODEL_A));
    assertThat(e.getMessage(), containsString("folder is for model sha256 " + TestRouters.MODEL_B));
    TreeSet<String> before = new TreeSet<>(store.list(""));
    RegistryException publish =
        assertThrows(
            RegistryException.class,
            () -> registry.publish(TestRouters.router(TestRouters.MODEL_B, 2), 1));
    assertThat(
        publish.getMessage(), containsString("written for model sha256 " + TestRouters.MODEL_A));
    assertEquals("nothing was published", before, new TreeSet<>(store.list("")));
  }

  @Test
  public void routerThatDoesNotMatchItsManifestIsRejected() {
    registry.publish(a(1), RouterRegistry.NONE);
    store.createIfAbsent(keyA().versionObject(2, RouterRegistry.ROUTER), bytes(a(5).toJson()));
    store.createIfAbsent(
        keyA().versionObject(2, RouterRegistry.MANIFEST),
        store.read(keyA().versionObject(1, RouterRegistry.MANIFEST)).get().bytes());
    // v1's manifest says "version": 1; stored as v2 it is caught before the sha256 is even
    // compared.
    RegistryException moved = assertThrows(RegistryException.class, () -> registry.get(keyA(), 2));
    assertThat(moved.getMessage(), containsString("stored as v2"));

    String manifest =
        text(store.read(keyA().versionObject(1, RouterRegistry.MANIFEST)).get().bytes())
            .replace("\"version\": 1", "\"version\": 3");
    store.createIfAbsent(keyA().versionObject(3, RouterRegistry.ROUTER), bytes(a(5).toJson()));
    store.createIfAbsent(keyA().versionObject(3, RouterRegistry.MANIFEST), bytes(manifest));
    RegistryException tampered =
        assertThrows(RegistryException.class, () -> registry.get(keyA(), 3));
    assertThat(
        tampered.getMessage(),
        startsWith(store.locate(keyA().versionObject(3, RouterRegistry.ROUTER))));
    assertThat(tampered.getMessage(), containsString("records"));
  }

  @Test
  public void corruptPointerIsNamed() {
    store.createIfAbsent(keyA().latestObject(), bytes("[1, 2]"));
    RegistryException e = assertThrows(RegistryException.class, () -> registry.latest(keyA()));
    assertThat(e.getMessage(), startsWith(store.locate(keyA().latestObject())));
    assertThat(e.getMessage(), containsString("must be a JSON object"));
    assertThrows(RegistryException.class, () -> registry.publish(a(1), RouterRegistry.NONE));
  }

  @Test
  public void routerWithoutModelFingerprintCannotBePublished() {
    RouterArtifact imported =
        new RouterArtifact(null, a(1).scores(), "ddim", 0.1, a(1).provenance());
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class, () -> registry.publish(imported, RouterRegistry.NONE));
    assertThat(e.getMessage(), containsString("imported router"));
    assertTrue(store.list("").isEmpty());
  }

  protected static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  protected static String text(byte[] b) {
    return new String(b, StandardCharsets.UTF_8);
  }
}
