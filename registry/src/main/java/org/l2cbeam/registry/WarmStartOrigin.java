package org.l2cbeam.registry;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The router a version's training began from, when it was warm-started: where it came from, its
 * registry version (0 when it did not come from a registry) and the sha256 of its {@code
 * router.json}. A version trained from the seed's routers has none. {@code TrainRouter} records it
 * in the router's {@code provenance.training.warmStart}, and the manifest repeats it, so that a
 * registry's history says which versions continued which.
 */
public record WarmStartOrigin(String router, int version, String routerSha256) {
  /** The key under which router training records the warm start in {@code provenance.training}. */
  public static final String PROVENANCE_KEY = "warmStart";

  /**
   * The warm start a router's training provenance records, or null for a router trained from the
   * seed.
   */
  public static WarmStartOrigin fromTraining(Map<String, Object> training) {
    Object recorded = training == null ? null : training.get(PROVENANCE_KEY);
    if (!(recorded instanceof Map<?, ?> m)) return null;
    Object version = m.get("version");
    Object sha = m.get("routerSha256");
    Object router = m.get("router");
    return new WarmStartOrigin(
        router == null ? null : router.toString(),
        version instanceof Number n ? n.intValue() : 0,
        sha == null ? null : sha.toString());
  }

  /**
   * The form the provenance and the manifest record: {@code {"version": 2, "routerSha256": "…",
   * "router": "…/v2/router.json"}}.
   */
  public Map<String, Object> toMap() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("version", version == 0 ? null : version);
    m.put("routerSha256", routerSha256);
    m.put("router", router);
    return m;
  }

  static WarmStartOrigin parse(RegistryJson json) {
    return new WarmStartOrigin(
        json.isNull("router") ? null : json.string("router"),
        json.isNull("version") ? 0 : json.integer("version"),
        json.isNull("routerSha256") ? null : json.string("routerSha256"));
  }

  @Override
  public String toString() {
    return version != 0 ? "v" + version : router;
  }
}
