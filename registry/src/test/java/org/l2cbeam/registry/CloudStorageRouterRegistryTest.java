package org.l2cbeam.registry;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.greaterThan;
import static org.hamcrest.Matchers.startsWith;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import com.google.cloud.storage.BlobId;
import com.google.cloud.storage.BlobInfo;
import com.google.cloud.storage.Storage;
import com.google.cloud.storage.StorageException;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.After;
import org.junit.Test;

/**
 * The registry contract on Cloud Storage: the real {@code google-cloud-storage} client against
 * {@link CloudStorageStandIn}, an in-process implementation of the JSON API that enforces
 * generations and preconditions.
 */
public class CloudStorageRouterRegistryTest extends RouterRegistryContract {
  private static final String BUCKET = "l2c-test-bucket";
  private static final String ROOT = "gs://" + BUCKET + "/routers/prod";
  private CloudStorageStandIn gcs;

  @Override
  protected RegistryStore newStore() throws Exception {
    gcs = new CloudStorageStandIn();
    gcs.createBucket(BUCKET);
    return CloudStorageStore.using(gcs.client(), ROOT);
  }

  @After
  public void stopStandIn() {
    gcs.close();
  }

  private static RouterKey keyA() {
    return TestRouters.keyA();
  }

  private List<RegistryEntry.Status> statuses() {
    return registry.list(keyA()).stream().map(RegistryEntry::status).collect(Collectors.toList());
  }

  @Test
  public void standInAnswersAStaleGenerationWith412ToTheRealClient() {
    Storage client = gcs.client();
    BlobInfo info = BlobInfo.newBuilder(BUCKET, "probe/latest.json").build();
    long g1 =
        client.create(info, bytes("one"), Storage.BlobTargetOption.doesNotExist()).getGeneration();
    StorageException exists =
        assertThrows(
            StorageException.class,
            () -> client.create(info, bytes("two"), Storage.BlobTargetOption.doesNotExist()));
    assertEquals(412, exists.getCode());
    long g2 =
        client
            .create(info, bytes("two"), Storage.BlobTargetOption.generationMatch(g1))
            .getGeneration();
    assertThat(g2, greaterThan(g1));
    StorageException stale =
        assertThrows(
            StorageException.class,
            () ->
                client.create(info, bytes("three"), Storage.BlobTargetOption.generationMatch(g1)));
    assertEquals(412, stale.getCode());
    assertEquals("two", text(client.readAllBytes(BlobId.of(BUCKET, "probe/latest.json"))));
    // Only the live generation can be read: g1 is gone, as in a bucket without object versioning.
    StorageException old =
        assertThrows(
            StorageException.class,
            () -> client.readAllBytes(BlobId.of(BUCKET, "probe/latest.json", g1)));
    assertEquals(404, old.getCode());
  }

  @Test
  public void objectsLiveUnderThePrefixAndOthersAreNotListed() {
    gcs.client().create(BlobInfo.newBuilder(BUCKET, "routers/other/x.json").build(), bytes("{}"));
    registry.publish(TestRouters.router(TestRouters.MODEL_A, 1), RouterRegistry.NONE);
    assertEquals(ROOT, store.root());
    assertEquals(
        ROOT + "/" + TestRouters.MODEL_A + "/ddim-20/v1/router.json",
        registry.latest(keyA()).orElseThrow().location());
    assertEquals(3, store.list("").size());
    assertTrue(store.list("").stream().noneMatch(k -> k.contains("other")));
  }

  @Test
  public void uploadCutHalfWayIsRetriedByTheClientAndPublishedOnce() {
    gcs.inject(n -> n.endsWith("v1/router.json"), CloudStorageStandIn.Fault.CUT_UPLOAD_HALFWAY, 1);
    int before = gcs.uploadAttempts();
    PublishResult r =
        registry.publish(TestRouters.router(TestRouters.MODEL_A, 1), RouterRegistry.NONE);
    assertEquals(PublishResult.Outcome.PUBLISHED, r.outcome());
    assertEquals(1, r.version());
    assertEquals("router, retried router, manifest, pointer", 4, gcs.uploadAttempts() - before);
    assertEquals(List.of(RegistryEntry.Status.LATEST), statuses());
  }

  @Test
  public void uploadThatKeepsFailingHalfWayLeavesLatestValid() {
    registry.publish(TestRouters.router(TestRouters.MODEL_A, 1), RouterRegistry.NONE);
    gcs.inject(
        n -> n.endsWith("v2/manifest.json"), CloudStorageStandIn.Fault.CUT_UPLOAD_HALFWAY, 100);
    RegistryException e =
        assertThrows(
            RegistryException.class,
            () -> registry.publish(TestRouters.router(TestRouters.MODEL_A, 2), 1));
    assertThat(
        e.getMessage(), startsWith(ROOT + "/" + TestRouters.MODEL_A + "/ddim-20/v2/manifest.json"));
    assertEquals(1, registry.latest(keyA()).orElseThrow().version());
    assertEquals(List.of(RegistryEntry.Status.LATEST, RegistryEntry.Status.INCOMPLETE), statuses());
  }

  @Test
  public void pointerUpdateThatKeepsFailingLeavesTheVersionUnpublished() {
    registry.publish(TestRouters.router(TestRouters.MODEL_A, 1), RouterRegistry.NONE);
    gcs.inject(n -> n.endsWith("latest.json"), CloudStorageStandIn.Fault.UNAVAILABLE, 100);
    RegistryException e =
        assertThrows(
            RegistryException.class,
            () -> registry.publish(TestRouters.router(TestRouters.MODEL_A, 2), 1));
    assertThat(
        e.getMessage(), startsWith(ROOT + "/" + TestRouters.MODEL_A + "/ddim-20/latest.json"));
    assertThat(e.getMessage(), containsString("HTTP 503"));
    assertEquals(1, registry.latest(keyA()).orElseThrow().version());
    assertEquals(
        List.of(RegistryEntry.Status.LATEST, RegistryEntry.Status.UNPUBLISHED), statuses());
  }

  @Test
  public void pointerUpdateWhoseResponseIsLostStillCountsAsPublished() {
    registry.publish(TestRouters.router(TestRouters.MODEL_A, 1), RouterRegistry.NONE);
    gcs.inject(n -> n.endsWith("latest.json"), CloudStorageStandIn.Fault.LOSE_RESPONSE, 1);
    // The client retries; the retry fails its precondition (the first attempt had already moved the
    // pointer), and
    // reading the pointer back shows our own bytes.
    PublishResult r = registry.publish(TestRouters.router(TestRouters.MODEL_A, 2), 1);
    assertEquals(PublishResult.Outcome.PUBLISHED, r.outcome());
    assertEquals(2, registry.latest(keyA()).orElseThrow().version());
    assertEquals(2, registry.pointer(keyA()).orElseThrow().sequence());
  }

  @Test
  public void missingBucketIsNamedAndNothingIsWritten() {
    RouterRegistry missing =
        RouterRegistry.on(CloudStorageStore.using(gcs.client(), "gs://no-such-bucket/routers"));
    RegistryException e =
        assertThrows(
            RegistryException.class,
            () -> missing.publish(TestRouters.router(TestRouters.MODEL_A, 1), RouterRegistry.NONE));
    assertThat(
        e.getMessage(),
        startsWith("gs://no-such-bucket/routers: bucket gs://no-such-bucket does not exist"));
    RegistryException read = assertThrows(RegistryException.class, () -> missing.latest(keyA()));
    assertThat(read.getMessage(), containsString("does not exist"));
    assertEquals(0, gcs.uploadAttempts());
  }

  @Test
  public void requestsWithoutCredentialsAreRefusedWithAHint() {
    gcs.requireAuthorization(true);
    RegistryException e = assertThrows(RegistryException.class, () -> registry.latest(keyA()));
    assertThat(e.getMessage(), startsWith(ROOT));
    assertThat(e.getMessage(), containsString("HTTP 401"));
    assertThat(e.getMessage(), containsString("gcloud auth application-default login"));
    RegistryException write =
        assertThrows(
            RegistryException.class,
            () ->
                registry.publish(TestRouters.router(TestRouters.MODEL_A, 1), RouterRegistry.NONE));
    assertThat(write.getMessage(), containsString("HTTP 401"));
    gcs.requireAuthorization(false);
    assertTrue("nothing was published", store.list("").isEmpty());
  }

  @Test
  public void openWithoutApplicationDefaultCredentialsFailsNamingTheRegistry() {
    // The test JVM's GOOGLE_APPLICATION_CREDENTIALS names a file that does not exist
    // (registry/pom.xml).
    RegistryException e =
        assertThrows(
            RegistryException.class, () -> RouterRegistry.open("gs://some-bucket/routers"));
    assertThat(e.getMessage(), startsWith("gs://some-bucket/routers: no Google Cloud credentials"));
    assertThat(e.getMessage(), containsString("GOOGLE_APPLICATION_CREDENTIALS"));
  }

  @Test
  public void badLocationsAreRejected() {
    assertThrows(
        IllegalArgumentException.class, () -> CloudStorageStore.using(gcs.client(), "gs://"));
    assertThrows(
        IllegalArgumentException.class,
        () -> CloudStorageStore.using(gcs.client(), "gs://Bad_Bucket/x"));
    assertThrows(
        IllegalArgumentException.class,
        () -> CloudStorageStore.using(gcs.client(), "gs://bucket/a/../b"));
    assertEquals("gs://bucket", CloudStorageStore.using(gcs.client(), "gs://bucket/").root());
  }
}
