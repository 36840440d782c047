package org.l2cbeam.registry;

import com.google.gson.JsonObject;
import com.google.gson.reflect.TypeToken;
import java.time.Instant;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalDouble;
import org.l2cbeam.core.router.RouterArtifact;

/**
 * What the registry records about one router version, in {@code v<N>/manifest.json} beside {@code
 * v<N>/router.json}. {@code warmStart} is null for a router trained from the seed's routers. It is
 * written after the router and only if the router was written completely, so a version without a
 * manifest is an interrupted publish and is never resolved. The router's sha256 ties the two
 * together: a reader checks it before trusting the router.
 *
 * <pre>{@code
 * {
 *   "format": "l2c-router-manifest",
 *   "formatVersion": 1,
 *   "version": 3,
 *   "modelSha256": "9f0c…",
 *   "sampler": "ddim",
 *   "steps": 20,
 *   "routerSha256": "51be…",
 *   "routerBytes": 2817,
 *   "trainingDataFingerprint": "c4d2…",
 *   "hyperParameters": {"lambda": 5.0E-6, "lr": 0.05, "batch": 16, "seed": 0, "iterations": 40, "theta": 0.1},
 *   "metrics": {"fid": 21.73, "macsRemoved": 0.25},
 *   "parentVersion": 2,
 *   "warmStart": {"version": 2, "routerSha256": "9af6…", "router": "gs://…/v2/router.json"},
 *   "created": "2026-12-02T10:15:30Z",
 *   "tool": "l2c-beam 0.1.0-SNAPSHOT"
 * }
 * }</pre>
 */
public final class VersionManifest {
  static final String FORMAT = "l2c-router-manifest";
  static final int FORMAT_VERSION = 1;

  /**
   * The training settings copied from the router's provenance, under the names a person looks for.
   */
  private static final Map<String, String> HYPER_PARAMETERS = hyperParameterNames();

  private final int version;
  private final RouterKey key;
  private final String routerSha256;
  private final long routerBytes;
  private final String trainingDataFingerprint;
  private final Map<String, Object> hyperParameters;
  private final Map<String, Object> metrics;
  private final int parentVersion;
  private final WarmStartOrigin warmStart;
  private final String created;
  private final String tool;

  private VersionManifest(
      int version,
      RouterKey key,
      String routerSha256,
      long routerBytes,
      String trainingDataFingerprint,
      Map<String, Object> hyperParameters,
      Map<String, Object> metrics,
      int parentVersion,
      WarmStartOrigin warmStart,
      String created,
      String tool) {
    this.version = version;
    this.key = key;
    this.routerSha256 = routerSha256;
    this.routerBytes = routerBytes;
    this.trainingDataFingerprint = trainingDataFingerprint;
    this.hyperParameters = Collections.unmodifiableMap(new LinkedHashMap<>(hyperParameters));
    this.metrics = Collections.unmodifiableMap(new LinkedHashMap<>(metrics));
    this.parentVersion = parentVersion;
    this.warmStart = warmStart;
    this.created = created;
    this.tool = tool;
  }

  /** The manifest of {@code router} stored as {@code version}. */
  static VersionManifest of(
      int version,
      RouterArtifact router,
      String routerSha256,
      long routerBytes,
      Map<String, ?> metrics,
      int parentVersion,
      Instant created,
      String tool) {
    Map<String, Object> training = router.provenance().training;
    Map<String, Object> hyper = new LinkedHashMap<>();
    HYPER_PARAMETERS.forEach(
        (name, provenanceKey) -> {
          Object value = training.get(provenanceKey);
          if (value != null) hyper.put(name, value);
        });
    hyper.put("theta", router.theta());
    Object data = training.get("dataFingerprint");
    return new VersionManifest(
        version,
        RouterKey.of(router),
        routerSha256,
        routerBytes,
        data == null ? null : data.toString(),
        hyper,
        new LinkedHashMap<>(metrics),
        parentVersion,
        WarmStartOrigin.fromTraining(training),
        created.toString(),
        tool);
  }

  private static Map<String, String> hyperParameterNames() {
    Map<String, String> m = new LinkedHashMap<>();
    m.put("lambda", "lambda");
    m.put("lr", "lr");
    m.put("optimizer", "optimizer");
    m.put("batch", "batch");
    m.put("seed", "seed");
    m.put("iterations", "steps");
    m.put("cacheSteps", "cacheSteps");
    m.put("labelDropout", "labelDropout");
    return m;
  }

  public int version() {
    return version;
  }

  public RouterKey key() {
    return key;
  }

  /** sha256 of {@code router.json}'s bytes: the identity of the version's content. */
  public String routerSha256() {
    return routerSha256;
  }

  public long routerBytes() {
    return routerBytes;
  }

  /** The training set's fingerprint from the router's provenance, or null if it does not say. */
  public String trainingDataFingerprint() {
    return trainingDataFingerprint;
  }

  public Map<String, Object> hyperParameters() {
    return hyperParameters;
  }

  /**
   * What the publisher measured (e.g. {@code fid}, {@code macsRemoved}); empty if nothing was
   * given.
   */
  public Map<String, Object> metrics() {
    return metrics;
  }

  /** A numeric metric, if recorded. */
  public OptionalDouble metric(String name) {
    Object v = metrics.get(name);
    return v instanceof Number
        ? OptionalDouble.of(((Number) v).doubleValue())
        : OptionalDouble.empty();
  }

  /** The version that was latest when this one was published (0: none). */
  public int parentVersion() {
    return parentVersion;
  }

  /**
   * The router this version's training began from, if it was warm-started (usually the parent
   * version, but not necessarily: the latest may have moved during training); empty for a router
   * trained from the seed's routers.
   */
  public Optional<WarmStartOrigin> warmStart() {
    return Optional.ofNullable(warmStart);
  }

  /** ISO-8601 time the version was written. */
  public String created() {
    return created;
  }

  /** The tool and version that wrote it. */
  public String tool() {
    return tool;
  }

  byte[] toBytes() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("format", FORMAT);
    m.put("formatVersion", FORMAT_VERSION);
    m.put("version", version);
    m.put("modelSha256", key.modelSha256());
    m.put("sampler", key.sampler());
    m.put("steps", key.steps());
    m.put("routerSha256", routerSha256);
    m.put("routerBytes", routerBytes);
    m.put("trainingDataFingerprint", trainingDataFingerprint);
    m.put("hyperParameters", hyperParameters);
    m.put("metrics", metrics);
    m.put("parentVersion", parentVersion == 0 ? null : parentVersion);
    m.put("warmStart", warmStart == null ? null : warmStart.toMap());
    m.put("created", created);
    m.put("tool", tool);
    return RegistryJson.bytes(m);
  }

  /**
   * Reads the manifest stored at {@code location} as version {@code version} of {@code key}; fails,
   * naming the object, if it is malformed or belongs to another version, model, sampler or step
   * count (a folder copied to the wrong place).
   */
  static VersionManifest parse(String location, byte[] bytes, RouterKey key, int version) {
    RegistryJson json =
        RegistryJson.parse(location, bytes, "router manifest", FORMAT, FORMAT_VERSION);
    int recorded = json.integer("version");
    if (recorded != version) {
      throw new RegistryException(
          location, "key 'version' is " + recorded + ", but the manifest is stored as v" + version);
    }
    String model = json.string("modelSha256");
    if (!model.equals(key.modelSha256())) {
      throw new RegistryException(
          location,
          "written for model sha256 "
              + model
              + ", but this registry folder is for"
              + " model sha256 "
              + key.modelSha256()
              + " (a version copied into another model's folder?)");
    }
    String sampler = json.string("sampler");
    int steps = json.integer("steps");
    if (!sampler.equals(key.sampler()) || steps != key.steps()) {
      throw new RegistryException(
          location,
          "written for "
              + sampler
              + "-"
              + steps
              + ", but this registry folder is for "
              + key.sampler()
              + "-"
              + key.steps());
    }
    String sha = json.string("routerSha256");
    if (!sha.matches("[0-9a-f]{64}")) {
      throw new RegistryException(location, "key 'routerSha256' is not a sha256: '" + sha + "'");
    }
    int parent = json.isNull("parentVersion") ? 0 : json.integer("parentVersion");
    return new VersionManifest(
        version,
        key,
        sha,
        json.longInteger("routerBytes"),
        json.isNull("trainingDataFingerprint") ? null : json.string("trainingDataFingerprint"),
        toMap(json.objectOrEmpty("hyperParameters")),
        toMap(json.objectOrEmpty("metrics")),
        parent,
        json.isNull("warmStart")
            ? null
            : WarmStartOrigin.parse(json.child("warmStart", json.get("warmStart"))),
        json.string("created"),
        json.string("tool"));
  }

  private static Map<String, Object> toMap(JsonObject o) {
    return RegistryJson.GSON.fromJson(
        o, new TypeToken<LinkedHashMap<String, Object>>() {}.getType());
  }
}
