package org.l2cbeam.registry;

import com.google.gson.JsonElement;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The one mutable object of a registry key: {@code latest.json}, naming the version readers use,
 * with the history of every pointer change (publishes and rollbacks). It is only ever replaced by
 * compare-and-swap on its generation, so of two writers that read the same pointer exactly one can
 * replace it; its {@code sequence} grows by one with every write, so no two pointers ever have the
 * same bytes.
 *
 * <pre>{@code
 * {
 *   "format": "l2c-router-latest",
 *   "formatVersion": 1,
 *   "version": 1,
 *   "sequence": 3,
 *   "history": [
 *     {"sequence": 1, "version": 1, "action": "publish", "at": "2026-12-01T02:00:04Z"},
 *     {"sequence": 2, "version": 2, "action": "publish", "at": "2026-12-02T02:00:05Z"},
 *     {"sequence": 3, "version": 1, "action": "rollback", "at": "2026-12-02T09:12:40Z"}
 *   ]
 * }
 * }</pre>
 */
public final class LatestPointer {
  static final String FORMAT = "l2c-router-latest";
  static final int FORMAT_VERSION = 1;

  /** One change of the pointer. */
  public record Change(long sequence, int version, String action, String at) {}

  private final int version;
  private final long sequence;
  private final List<Change> history;

  private LatestPointer(int version, long sequence, List<Change> history) {
    this.version = version;
    this.sequence = sequence;
    this.history = List.copyOf(history);
  }

  /** The pointer after moving an earlier one (or none) to {@code version}. */
  static LatestPointer moved(LatestPointer previous, int version, String action, Instant at) {
    List<Change> history = previous == null ? new ArrayList<>() : new ArrayList<>(previous.history);
    long sequence = previous == null ? 1 : previous.sequence + 1;
    history.add(new Change(sequence, version, action, at.toString()));
    return new LatestPointer(version, sequence, history);
  }

  /** The version readers resolve. */
  public int version() {
    return version;
  }

  /** How many times the pointer has been written. */
  public long sequence() {
    return sequence;
  }

  /** Every change, oldest first; the last is the current one. */
  public List<Change> history() {
    return history;
  }

  /** True if {@code v} was ever the latest. */
  boolean everPointedTo(int v) {
    return history.stream().anyMatch(c -> c.version() == v);
  }

  byte[] toBytes() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("format", FORMAT);
    m.put("formatVersion", FORMAT_VERSION);
    m.put("version", version);
    m.put("sequence", sequence);
    List<Map<String, Object>> changes = new ArrayList<>();
    for (Change c : history) {
      Map<String, Object> e = new LinkedHashMap<>();
      e.put("sequence", c.sequence());
      e.put("version", c.version());
      e.put("action", c.action());
      e.put("at", c.at());
      changes.add(e);
    }
    m.put("history", changes);
    return RegistryJson.bytes(m);
  }

  static LatestPointer parse(String location, byte[] bytes) {
    RegistryJson json =
        RegistryJson.parse(location, bytes, "latest pointer", FORMAT, FORMAT_VERSION);
    int version = json.integer("version");
    long sequence = json.longInteger("sequence");
    JsonElement h = json.get("history");
    if (!h.isJsonArray()) throw new RegistryException(location, "key 'history' must be an array");
    List<Change> history = new ArrayList<>();
    for (JsonElement e : h.getAsJsonArray()) {
      RegistryJson c = json.child("history", e);
      history.add(
          new Change(
              c.longInteger("sequence"), c.integer("version"), c.string("action"), c.string("at")));
    }
    if (version < 1
        || history.isEmpty()
        || history.get(history.size() - 1).version() != version
        || history.get(history.size() - 1).sequence() != sequence) {
      throw new RegistryException(
          location,
          "version "
              + version
              + " and sequence "
              + sequence
              + " do not match the last entry of 'history'");
    }
    return new LatestPointer(version, sequence, history);
  }
}
