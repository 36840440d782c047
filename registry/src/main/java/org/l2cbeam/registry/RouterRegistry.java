package org.l2cbeam.registry;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.l2cbeam.core.io.CheckpointFormatException;
import org.l2cbeam.core.router.RouterArtifact;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Versioned routers with an atomically published {@code latest}, in a local directory or on Cloud
 * Storage, for scheduled retraining: a job trains a candidate, judges it against the current
 * latest, and publishes it only if it is good enough; samplers always resolve a complete, checked
 * version.
 *
 * <pre>{@code
 * RouterRegistry registry = RouterRegistry.open("gs://my-bucket/l2c/routers");   // or a local directory
 * PublishResult r = registry.publish(candidate, 3, Map.of("fid", 21.7));          // 3: the latest it was judged against
 * PublishedRouter latest = registry.latest(RouterKey.of(candidate)).orElseThrow();
 * }</pre>
 *
 * <h2>Layout</h2>
 *
 * Each {@link RouterKey} (model weights, sampler, steps) has its own folder:
 *
 * <pre>
 * ROOT/&lt;model-sha256&gt;/&lt;sampler&gt;-&lt;steps&gt;/v1/router.json      immutable, written with a does-not-exist precondition
 *                                        /v1/manifest.json    written last: a version without it is incomplete
 *                                        /v2/...
 *                                        /latest.json         the pointer, replaced only by compare-and-swap
 * </pre>
 *
 * <h2>Why readers never see a partial version</h2>
 *
 * Versions are never modified: {@code router.json} first, then {@code manifest.json} (with the
 * router's sha256), each created only if absent, and only then is the pointer moved. The pointer is
 * replaced only if its generation is still the one read before (Cloud Storage's {@code
 * ifGenerationMatch}; a file lock and an atomic rename locally), so of two publishers exactly one
 * moves it and the other learns that "latest moved from v1 to v2". A reader resolves the pointer,
 * then the version it names, which was complete before the pointer could name it, and checks the
 * router's sha256 against the manifest. A publisher that dies at any point leaves the pointer
 * valid; what it wrote shows in {@link #list} as {@code INCOMPLETE} or {@code UNPUBLISHED}.
 *
 * <h2>Idempotence</h2>
 *
 * Publishing a router whose {@code router.json} bytes equal a stored version's writes nothing and
 * returns that version ({@link PublishResult.Outcome#ALREADY_STORED}). Router training writes no
 * wall-clock time into the router, so a scheduled re-run on the same data publishes nothing new.
 */
public final class RouterRegistry {
  private static final Logger LOG = LoggerFactory.getLogger(RouterRegistry.class);
  private static final Pattern VERSION_OBJECT =
      Pattern.compile("v([1-9][0-9]{0,8})/(router|manifest)\\.json");

  /**
   * Versions are numbered by their publishers; a publisher that keeps losing the race for a number
   * gives up.
   */
  private static final int MAX_VERSION_ATTEMPTS = 100;

  static final String ROUTER = "router.json";
  static final String MANIFEST = "manifest.json";

  /** {@link #publish}'s {@code expectedLatest} when the key has no latest yet. */
  public static final int NONE = 0;

  private final RegistryStore store;
  private final String tool;

  private RouterRegistry(RegistryStore store) {
    this.store = store;
    this.tool = "l2c-beam " + projectVersion();
  }

  /**
   * The registry at {@code location}: {@code gs://BUCKET/PREFIX} (Cloud Storage, with Application
   * Default Credentials), or a local directory (created on first publish) given as a path or a
   * {@code file:} URI.
   */
  public static RouterRegistry open(String location) {
    if (location == null || location.isBlank()) {
      throw new IllegalArgumentException("router registry: the location is empty");
    }
    if (location.startsWith("gs://")) {
      return on(CloudStorageStore.open(location));
    }
    if (location.startsWith("file:")) {
      return on(new LocalDirectoryStore(Path.of(java.net.URI.create(location))));
    }
    if (location.matches("^[a-zA-Z][a-zA-Z0-9+.-]*://.*")) {
      throw new IllegalArgumentException(
          "router registry "
              + location
              + ": unsupported location; give gs://BUCKET/PREFIX, a local directory or a"
              + " file: URI");
    }
    return on(new LocalDirectoryStore(Path.of(location)));
  }

  /**
   * A registry on any store; e.g. a {@link LocalDirectoryStore}, or a store decorated for tests.
   */
  public static RouterRegistry on(RegistryStore store) {
    if (store == null) throw new IllegalArgumentException("router registry: the store is null");
    return new RouterRegistry(store);
  }

  /** The registry's root, e.g. {@code gs://bucket/prefix} or a directory. */
  public String root() {
    return store.root();
  }

  // ------------------------------------------------------------------------------------------------ reading

  /**
   * The version {@code latest} names, read and checked; empty if nothing was ever published for
   * {@code key}.
   */
  public Optional<PublishedRouter> latest(RouterKey key) {
    Optional<RegistryStore.Stored> pointer = store.read(key.latestObject());
    if (pointer.isEmpty()) return Optional.empty();
    LatestPointer p = LatestPointer.parse(store.locate(key.latestObject()), pointer.get().bytes());
    return Optional.of(get(key, p.version()));
  }

  /** The latest pointer with its history; empty if nothing was ever published for {@code key}. */
  public Optional<LatestPointer> pointer(RouterKey key) {
    return store
        .read(key.latestObject())
        .map(s -> LatestPointer.parse(store.locate(key.latestObject()), s.bytes()));
  }

  /**
   * Version {@code version} of {@code key}, checked: its manifest belongs to this key and version,
   * the router's sha256 matches the manifest, and the router is for the key's model, sampler and
   * step count.
   */
  public PublishedRouter get(RouterKey key, int version) {
    if (version < 1)
      throw new IllegalArgumentException("router registry: versions start at v1, got v" + version);
    String routerKey = key.versionObject(version, ROUTER);
    String manifestKey = key.versionObject(version, MANIFEST);
    Optional<RegistryStore.Stored> manifestObject = store.read(manifestKey);
    if (manifestObject.isEmpty()) {
      boolean routerExists = store.read(routerKey).isPresent();
      throw new RegistryException(
          store.locate(key.versionObject(version, "")),
          routerExists
              ? "v"
                  + version
                  + " is incomplete: its manifest was never written (its publish failed or was killed), so it"
                  + " is not used"
              : "no version v" + version + " of " + key + " in registry " + store.root());
    }
    VersionManifest manifest =
        VersionManifest.parse(
            store.locate(manifestKey), manifestObject.get().bytes(), key, version);
    byte[] bytes =
        store
            .read(routerKey)
            .orElseThrow(
                () ->
                    new RegistryException(
                        store.locate(routerKey), "missing, but its manifest exists"))
            .bytes();
    String sha = sha256(bytes);
    if (!sha.equals(manifest.routerSha256())) {
      throw new RegistryException(
          store.locate(routerKey),
          "sha256 is "
              + sha
              + ", but "
              + MANIFEST
              + " records "
              + manifest.routerSha256()
              + " (changed after publishing?)");
    }
    RouterArtifact router = parseRouter(store.locate(routerKey), bytes);
    if (!RouterKey.of(router).equals(key)) {
      throw new RegistryException(
          store.locate(routerKey),
          "the router is for " + RouterKey.of(router) + ", but it is stored under " + key);
    }
    return new PublishedRouter(key, version, router, manifest, store.locate(routerKey));
  }

  /** Every version of {@code key}, oldest first, with its status. */
  public List<RegistryEntry> list(RouterKey key) {
    Optional<LatestPointer> pointer = pointer(key);
    List<RegistryEntry> entries = new ArrayList<>();
    for (Map.Entry<Integer, Boolean> v : storedVersions(key).entrySet()) {
      int version = v.getKey();
      String location = store.locate(key.versionObject(version, ROUTER));
      if (!v.getValue()) {
        entries.add(new RegistryEntry(version, RegistryEntry.Status.INCOMPLETE, null, location));
        continue;
      }
      String manifestKey = key.versionObject(version, MANIFEST);
      byte[] bytes =
          store
              .read(manifestKey)
              .orElseThrow(
                  () -> new RegistryException(store.locate(manifestKey), "listed but unreadable"))
              .bytes();
      VersionManifest manifest =
          VersionManifest.parse(store.locate(manifestKey), bytes, key, version);
      RegistryEntry.Status status;
      if (pointer.isPresent() && pointer.get().version() == version) {
        status = RegistryEntry.Status.LATEST;
      } else if (pointer.isPresent() && pointer.get().everPointedTo(version)) {
        status = RegistryEntry.Status.SUPERSEDED;
      } else {
        status = RegistryEntry.Status.UNPUBLISHED;
      }
      entries.add(new RegistryEntry(version, status, manifest, location));
    }
    return entries;
  }

  /**
   * The version numbers stored for {@code key}, each with true if its manifest exists (the version
   * is complete).
   */
  private TreeMap<Integer, Boolean> storedVersions(RouterKey key) {
    TreeMap<Integer, Boolean> versions = new TreeMap<>();
    for (String object : store.list(key.folder())) {
      Matcher m = VERSION_OBJECT.matcher(object.substring(key.folder().length()));
      if (!m.matches()) continue;
      int v = Integer.parseInt(m.group(1));
      versions.merge(v, m.group(2).equals("manifest"), Boolean::logicalOr);
    }
    return versions;
  }

  // ------------------------------------------------------------------------------------------------ writing

  /** {@link #publish(RouterArtifact, int, Map)} with no metrics. */
  public PublishResult publish(RouterArtifact candidate, int expectedLatest) {
    return publish(candidate, expectedLatest, Map.of());
  }

  /**
   * Stores {@code candidate} as a new version and makes it the latest if the latest is still {@code
   * expectedLatest} (the version the candidate was judged against; {@link #NONE} if there was
   * none).
   *
   * <ul>
   *   <li>If a stored version has the same {@code router.json} bytes, nothing is written and that
   *       version is returned ({@link PublishResult.Outcome#ALREADY_STORED}).
   *   <li>If the latest is no longer {@code expectedLatest}, or another publisher moves it first,
   *       the candidate is still stored (nothing is lost) but the pointer is left alone ({@link
   *       PublishResult.Outcome#CONFLICT}).
   * </ul>
   *
   * @param metrics what the publisher measured, recorded in the manifest (e.g. {@code fid})
   * @throws IllegalArgumentException if the router has no model fingerprint (an imported official
   *     router)
   * @throws RegistryException if the registry cannot be read or written, or holds a corrupt object;
   *     the pointer is then unchanged
   */
  public PublishResult publish(
      RouterArtifact candidate, int expectedLatest, Map<String, ?> metrics) {
    if (expectedLatest < 0) {
      throw new IllegalArgumentException(
          "router registry: expectedLatest must be a version or NONE (0), got " + expectedLatest);
    }
    RouterKey key = RouterKey.of(candidate);
    byte[] bytes = candidate.toJson().getBytes(StandardCharsets.UTF_8);
    String sha = sha256(bytes);
    Optional<RegistryStore.Stored> pointerObject = store.read(key.latestObject());
    LatestPointer pointer =
        pointerObject
            .map(s -> LatestPointer.parse(store.locate(key.latestObject()), s.bytes()))
            .orElse(null);
    int current = pointer == null ? NONE : pointer.version();

    for (RegistryEntry e : list(key)) {
      if (e.manifest() != null && e.manifest().routerSha256().equals(sha)) {
        PublishResult r =
            new PublishResult(
                PublishResult.Outcome.ALREADY_STORED, e.version(), expectedLatest, current);
        LOG.info("Router registry {} ({}): {}", store.root(), key, r.describe());
        return r;
      }
    }

    int version = storeVersion(key, candidate, bytes, sha, metrics, expectedLatest);
    if (current != expectedLatest) {
      PublishResult r =
          new PublishResult(PublishResult.Outcome.CONFLICT, version, expectedLatest, current);
      LOG.warn("Router registry {} ({}): {}", store.root(), key, r.describe());
      return r;
    }
    LatestPointer next = LatestPointer.moved(pointer, version, "publish", now());
    try {
      swapPointer(key, pointerObject, next);
    } catch (PreconditionFailedException lost) {
      int now = pointer(key).map(LatestPointer::version).orElse(NONE);
      PublishResult r =
          new PublishResult(PublishResult.Outcome.CONFLICT, version, expectedLatest, now);
      LOG.warn("Router registry {} ({}): {}", store.root(), key, r.describe());
      return r;
    }
    PublishResult r =
        new PublishResult(PublishResult.Outcome.PUBLISHED, version, expectedLatest, version);
    LOG.info("Router registry {} ({}): {}", store.root(), key, r.describe());
    return r;
  }

  /**
   * Writes the candidate's router, then its manifest, under the next free version number; a number
   * another publisher takes first is skipped. Returns the version.
   */
  private int storeVersion(
      RouterKey key,
      RouterArtifact candidate,
      byte[] bytes,
      String sha,
      Map<String, ?> metrics,
      int parent) {
    int version =
        storedVersions(key).keySet().stream().max(Comparator.naturalOrder()).orElse(0) + 1;
    for (int attempt = 0; ; attempt++, version++) {
      try {
        store.createIfAbsent(key.versionObject(version, ROUTER), bytes);
        break;
      } catch (PreconditionFailedException taken) {
        if (attempt + 1 >= MAX_VERSION_ATTEMPTS) {
          throw new RegistryException(
              store.locate(key.folder()),
              "could not claim a version number after "
                  + MAX_VERSION_ATTEMPTS
                  + " attempts (last tried v"
                  + version
                  + ")",
              taken);
        }
      }
    }
    VersionManifest manifest =
        VersionManifest.of(version, candidate, sha, bytes.length, metrics, parent, now(), tool);
    try {
      store.createIfAbsent(key.versionObject(version, MANIFEST), manifest.toBytes());
    } catch (RuntimeException e) {
      throw new RegistryException(
          store.locate(key.versionObject(version, MANIFEST)),
          "publish failed after writing "
              + ROUTER
              + ": v"
              + version
              + " stays incomplete and is never used; latest is unchanged ("
              + e.getMessage()
              + ")",
          e);
    }
    return version;
  }

  /**
   * Points {@code latest} at the stored, complete {@code version} (an earlier one after a bad
   * publish, or an unpublished candidate), as a new pointer generation: the history keeps every
   * earlier state.
   *
   * @throws RegistryException if the version is missing, incomplete or corrupt, or the pointer
   *     moved meanwhile (nothing is changed then)
   */
  public PublishedRouter rollback(RouterKey key, int version) {
    PublishedRouter target = get(key, version);
    Optional<RegistryStore.Stored> pointerObject = store.read(key.latestObject());
    LatestPointer pointer =
        pointerObject
            .map(s -> LatestPointer.parse(store.locate(key.latestObject()), s.bytes()))
            .orElse(null);
    LatestPointer next = LatestPointer.moved(pointer, version, "rollback", now());
    try {
      swapPointer(key, pointerObject, next);
    } catch (PreconditionFailedException moved) {
      throw new RegistryException(
          store.locate(key.latestObject()),
          "latest moved while rolling back to v"
              + version
              + " (now "
              + pointer(key).map(p -> "v" + p.version()).orElse("none")
              + "); nothing was changed",
          moved);
    }
    LOG.info(
        "Router registry {} ({}): latest rolled back from {} to v{}",
        store.root(),
        key,
        pointer == null ? "none" : "v" + pointer.version(),
        version);
    return target;
  }

  // ------------------------------------------------------------------------------------------------ helpers

  /**
   * Replaces the pointer read as {@code read} (empty: there was none) with {@code next}, only if it
   * is still that generation; a {@link PreconditionFailedException} means another writer moved it
   * first.
   */
  private void swapPointer(RouterKey key, Optional<RegistryStore.Stored> read, LatestPointer next) {
    if (read.isEmpty()) {
      store.createIfAbsent(key.latestObject(), next.toBytes());
    } else {
      store.replaceIfGeneration(key.latestObject(), next.toBytes(), read.get().generation());
    }
  }

  private static RouterArtifact parseRouter(String location, byte[] bytes) {
    Path origin = Path.of(ROUTER);
    try {
      return RouterArtifact.parse(new String(bytes, StandardCharsets.UTF_8), origin);
    } catch (CheckpointFormatException e) {
      String problem =
          e.getMessage().startsWith(origin + ": ")
              ? e.getMessage().substring(origin.toString().length() + 2)
              : e.getMessage();
      throw new RegistryException(location, problem, e);
    }
  }

  /**
   * sha256 of the router's {@code router.json} bytes: what identifies it among a key's versions.
   */
  public static String routerSha256(RouterArtifact router) {
    return sha256(router.toJson().getBytes(StandardCharsets.UTF_8));
  }

  /** sha256 of {@code bytes}, hex: the identity of a version's router. */
  static String sha256(byte[] bytes) {
    try {
      return java.util.HexFormat.of()
          .formatHex(java.security.MessageDigest.getInstance("SHA-256").digest(bytes));
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  private static Instant now() {
    return Instant.now().truncatedTo(ChronoUnit.SECONDS);
  }

  private static String projectVersion() {
    try (InputStream in = RouterRegistry.class.getResourceAsStream("registry.properties")) {
      if (in == null) return "unknown";
      Properties p = new Properties();
      p.load(in);
      return p.getProperty("version", "unknown");
    } catch (IOException e) {
      return "unknown";
    }
  }
}
