package org.l2cbeam.registry;

import com.google.auth.oauth2.GoogleCredentials;
import com.google.cloud.storage.Blob;
import com.google.cloud.storage.BlobId;
import com.google.cloud.storage.BlobInfo;
import com.google.cloud.storage.Storage;
import com.google.cloud.storage.StorageException;
import com.google.cloud.storage.StorageOptions;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/**
 * {@link RegistryStore} on Cloud Storage, with the {@code google-cloud-storage} JSON API client.
 * Cloud Storage gives the registry everything it needs natively: an object appears whole or not at
 * all, {@code ifGenerationMatch=0} ("does not exist") makes creation exclusive, and {@code
 * ifGenerationMatch=G} makes a replacement a compare-and-swap on the object's generation number; a
 * loser gets HTTP 412, here a {@link PreconditionFailedException}. Listing is strongly consistent,
 * so a version written is listed at once.
 *
 * <p>The client retries requests that failed in transit, which is safe here because every write
 * carries a precondition. One consequence is handled: if a write succeeded but its response was
 * lost, the retry fails its own precondition; the object is then read back, and if it holds exactly
 * the bytes written, the write is taken as having succeeded (the latest pointer's bytes are unique
 * to each write, so they cannot be another writer's).
 *
 * <p>Errors name the {@code gs://} object and, for the usual causes (HTTP 401/403, a missing
 * bucket), what to do.
 */
public final class CloudStorageStore implements RegistryStore {
  /**
   * How often a read retries when the object is replaced between reading its metadata and its
   * bytes.
   */
  private static final int READ_ATTEMPTS = 5;

  static final String CREDENTIALS_HINT =
      "run `gcloud auth application-default login`, or set"
          + " GOOGLE_APPLICATION_CREDENTIALS to a service account key file (on Dataflow the workers' service account is"
          + " used)";

  private final Storage storage;
  private final String bucket;

  /** The object-name prefix of the registry: empty or ending in {@code /}. */
  private final String prefix;

  private volatile boolean bucketChecked;

  private CloudStorageStore(Storage storage, String bucket, String prefix) {
    this.storage = storage;
    this.bucket = bucket;
    this.prefix = prefix;
  }

  /**
   * The registry at {@code gs://BUCKET/PREFIX} with Application Default Credentials (the gcloud
   * user, a key file named by {@code GOOGLE_APPLICATION_CREDENTIALS}, or the VM's service account).
   */
  public static CloudStorageStore open(String gsUri) {
    String[] bucketAndPrefix = parse(gsUri);
    GoogleCredentials credentials;
    try {
      credentials = GoogleCredentials.getApplicationDefault();
    } catch (IOException e) {
      throw new RegistryException(
          gsUri, "no Google Cloud credentials (" + e.getMessage() + "); " + CREDENTIALS_HINT, e);
    }
    Storage storage = StorageOptions.newBuilder().setCredentials(credentials).build().getService();
    return new CloudStorageStore(storage, bucketAndPrefix[0], bucketAndPrefix[1]);
  }

  /**
   * The registry at {@code gs://BUCKET/PREFIX} through {@code storage}, a client configured by the
   * caller.
   */
  public static CloudStorageStore using(Storage storage, String gsUri) {
    if (storage == null)
      throw new IllegalArgumentException(
          "router registry " + gsUri + ": the Storage client is null");
    String[] bucketAndPrefix = parse(gsUri);
    return new CloudStorageStore(storage, bucketAndPrefix[0], bucketAndPrefix[1]);
  }

  /** {bucket, prefix} of {@code gs://bucket/a/b} ({@code a/b/}), with the URI named in errors. */
  private static String[] parse(String gsUri) {
    if (gsUri == null || !gsUri.startsWith("gs://")) {
      throw new IllegalArgumentException(
          "router registry: '" + gsUri + "' is not a gs://BUCKET/PREFIX location");
    }
    String rest = gsUri.substring("gs://".length());
    int slash = rest.indexOf('/');
    String bucket = slash < 0 ? rest : rest.substring(0, slash);
    String path = slash < 0 ? "" : rest.substring(slash + 1);
    if (!bucket.matches("[a-z0-9][a-z0-9._-]{1,220}[a-z0-9]")) {
      throw new IllegalArgumentException(
          "router registry " + gsUri + ": '" + bucket + "' is not a Cloud Storage bucket name");
    }
    while (path.endsWith("/")) path = path.substring(0, path.length() - 1);
    if (Arrays.stream(path.split("/")).anyMatch(s -> s.equals(".") || s.equals(".."))
        || path.contains("//")) {
      throw new IllegalArgumentException(
          "router registry " + gsUri + ": the prefix has an empty, . or .. segment");
    }
    return new String[] {bucket, path.isEmpty() ? "" : path + "/"};
  }

  @Override
  public Optional<Stored> read(String key) {
    checkBucket();
    String name = prefix + key;
    for (int attempt = 1; ; attempt++) {
      Blob blob = call(key, () -> storage.get(BlobId.of(bucket, name)));
      if (blob == null) return Optional.empty();
      try {
        // Exactly the generation whose metadata was read, so bytes and generation belong together.
        byte[] bytes = storage.readAllBytes(BlobId.of(bucket, name, blob.getGeneration()));
        return Optional.of(new Stored(bytes, Long.toString(blob.getGeneration())));
      } catch (StorageException e) {
        if (e.getCode() != 404 || attempt >= READ_ATTEMPTS) throw failure(key, e);
        // Replaced (or deleted) between the two requests: read the current generation again.
      }
    }
  }

  @Override
  public String createIfAbsent(String key, byte[] bytes) {
    checkBucket();
    return write(key, bytes, Storage.BlobTargetOption.doesNotExist(), "already exists");
  }

  @Override
  public String replaceIfGeneration(String key, byte[] bytes, String expectedGeneration) {
    checkBucket();
    long generation;
    try {
      generation = Long.parseLong(expectedGeneration);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(
          locate(key) + ": '" + expectedGeneration + "' is not a generation number");
    }
    return write(
        key,
        bytes,
        Storage.BlobTargetOption.generationMatch(generation),
        "is no longer generation " + expectedGeneration);
  }

  private String write(
      String key, byte[] bytes, Storage.BlobTargetOption precondition, String conflict) {
    BlobInfo info =
        BlobInfo.newBuilder(bucket, prefix + key).setContentType("application/json").build();
    try {
      return Long.toString(storage.create(info, bytes, precondition).getGeneration());
    } catch (StorageException e) {
      if (e.getCode() != 412) throw failure(key, e);
      Optional<Stored> now = read(key);
      if (now.isPresent() && Arrays.equals(now.get().bytes(), bytes)) {
        return now.get().generation(); // our own earlier attempt, whose response was lost
      }
      throw new PreconditionFailedException(locate(key), conflict + " (HTTP 412)", e);
    }
  }

  @Override
  public List<String> list(String keyPrefix) {
    checkBucket();
    List<String> keys = new ArrayList<>();
    call(
        keyPrefix,
        () -> {
          for (Blob b :
              storage
                  .list(bucket, Storage.BlobListOption.prefix(prefix + keyPrefix))
                  .iterateAll()) {
            keys.add(b.getName().substring(prefix.length()));
          }
          return null;
        });
    return keys;
  }

  @Override
  public String locate(String key) {
    return "gs://" + bucket + "/" + prefix + key;
  }

  @Override
  public String root() {
    return "gs://"
        + bucket
        + (prefix.isEmpty() ? "" : "/" + prefix.substring(0, prefix.length() - 1));
  }

  /**
   * A missing bucket answers object reads with "not found", as an empty registry would; one listing
   * tells the two apart (it needs only the object-list permission that reading a registry needs
   * anyway).
   */
  private void checkBucket() {
    if (bucketChecked) return;
    try {
      storage.list(
          bucket, Storage.BlobListOption.prefix(prefix), Storage.BlobListOption.pageSize(1));
    } catch (StorageException e) {
      if (e.getCode() == 404) {
        throw new RegistryException(
            root(),
            "bucket gs://" + bucket + " does not exist (HTTP 404: " + e.getMessage() + ")",
            e);
      }
      throw failure("", e);
    }
    bucketChecked = true;
  }

  private interface Call<T> {
    T run();
  }

  private <T> T call(String key, Call<T> call) {
    try {
      return call.run();
    } catch (StorageException e) {
      throw failure(key, e);
    }
  }

  /**
   * A client error as a {@link RegistryException} naming the object and, where it helps, what to
   * do.
   */
  private RegistryException failure(String key, StorageException e) {
    String where = key.isEmpty() ? root() : locate(key);
    switch (e.getCode()) {
      case 401:
        return new RegistryException(
            where, "not authenticated (HTTP 401: " + e.getMessage() + "); " + CREDENTIALS_HINT, e);
      case 403:
        return new RegistryException(
            where,
            "permission denied (HTTP 403: "
                + e.getMessage()
                + "); the account needs"
                + " storage.objects.get, list and create on bucket "
                + bucket
                + " (roles/storage.objectUser)",
            e);
      case 404:
        return new RegistryException(where, "not found (HTTP 404: " + e.getMessage() + ")", e);
      default:
        return new RegistryException(
            where,
            "Cloud Storage request failed (HTTP " + e.getCode() + ": " + e.getMessage() + ")",
            e);
    }
  }
}
