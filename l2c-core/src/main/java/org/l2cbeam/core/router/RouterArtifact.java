package org.l2cbeam.core.router;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonPrimitive;
import java.io.IOException;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import org.l2cbeam.core.io.AtomicFile;
import org.l2cbeam.core.io.CheckpointFormatException;
import org.l2cbeam.core.io.FileFormat;
import org.l2cbeam.core.io.InputFile;
import org.l2cbeam.core.io.JsonText;

/**
 * Our router file: JSON a person can read and a diff can compare. One line per router row (the
 * logits of {@code p_k}, written as the shortest decimal that parses back to the same float, so the
 * file round-trips exactly), plus what is needed to use it safely: the model fingerprint it was
 * trained against, family, sampler, step count, unit names, the threshold θ, and provenance (source
 * file and its sha256, creation time, and an open {@code training} map that router training fills
 * in).
 *
 * <pre>{@code
 * {
 *   "format": "l2c-router",
 *   "formatVersion": 1,
 *   "modelFingerprint": "unknown",
 *   "modelFamily": "dit",
 *   "sampler": "ddim",
 *   "steps": 20,
 *   "theta": 0.1,
 *   "units": ["block0.attn", "block0.mlp", ...],
 *   "scores": [
 *     [-1.3524, 0.4128, ...],
 *     ...
 *   ],
 *   "provenance": {"source": "DDIM20_router.pt", "sourceSha256": "...", "created": "2026-...Z", "tool": "...",
 *                  "training": {}}
 * }
 * }</pre>
 */
public final class RouterArtifact {
  public static final String FORMAT = "l2c-router";
  public static final int FORMAT_VERSION = 1;

  /**
   * The fingerprint recorded when the router's base weights are not known (imported official
   * routers).
   */
  public static final String UNKNOWN_FINGERPRINT = "unknown";

  /**
   * Router JSONs are kilobytes (DDIM-50 for DiT-XL/2: about 30 KB); nothing larger is read into
   * memory.
   */
  private static final long MAX_JSON_BYTES = 64L << 20;

  private final String modelFingerprint;
  private final RouterScores scores;
  private final String sampler;
  private final double theta;
  private final List<String> units;
  private final Provenance provenance;

  /**
   * Where a router came from. {@code training} is open: router training records its settings and
   * results there.
   */
  public static final class Provenance {
    public final String source;
    public final String sourceSha256;
    public final String created;
    public final String tool;
    public final Map<String, Object> training;

    public Provenance(
        String source,
        String sourceSha256,
        String created,
        String tool,
        Map<String, Object> training) {
      this.source = source;
      this.sourceSha256 = sourceSha256;
      this.created = created;
      this.tool = tool;
      this.training =
          Collections.unmodifiableMap(new TreeMap<>(training == null ? Map.of() : training));
    }

    /**
     * A training map as the artifact's JSON writes it (so a map that went through it reads back the
     * same).
     */
    public static String trainingToJson(Map<String, Object> training) {
      return new GsonBuilder().disableHtmlEscaping().serializeNulls().create().toJson(training);
    }

    /**
     * A training map read back from {@link #trainingToJson}, as an artifact reads its own: integral
     * numbers as {@code Long}, others as {@code Double}, arrays as lists, objects as maps.
     */
    public static Map<String, Object> trainingFromJson(String json) {
      Map<String, Object> m = new LinkedHashMap<>();
      com.google.gson.JsonParser.parseString(json)
          .getAsJsonObject()
          .entrySet()
          .forEach(e -> m.put(e.getKey(), toJava(e.getValue())));
      return m;
    }

    /** Provenance of a router imported from {@code source} now. */
    public static Provenance imported(Path source, String tool) {
      return new Provenance(
          source.getFileName().toString(),
          sha256(source),
          Instant.now().truncatedTo(ChronoUnit.SECONDS).toString(),
          tool,
          Map.of());
    }

    @Override
    public boolean equals(Object o) {
      if (!(o instanceof Provenance)) return false;
      Provenance p = (Provenance) o;
      return Objects.equals(source, p.source)
          && Objects.equals(sourceSha256, p.sourceSha256)
          && Objects.equals(created, p.created)
          && Objects.equals(tool, p.tool)
          && training.equals(p.training);
    }

    @Override
    public int hashCode() {
      return Objects.hash(source, sourceSha256, created, tool, training);
    }
  }

  public RouterArtifact(
      String modelFingerprint,
      RouterScores scores,
      String sampler,
      double theta,
      Provenance provenance) {
    this.modelFingerprint = modelFingerprint == null ? UNKNOWN_FINGERPRINT : modelFingerprint;
    this.scores = scores;
    this.sampler = sampler == null ? scores.family().sampler() : sampler;
    if (!(theta >= 0 && theta <= 1)) {
      throw new IllegalArgumentException("theta must be in [0, 1], got " + theta);
    }
    this.theta = theta;
    this.units = List.copyOf(scores.family().unitNames(scores.units()));
    this.provenance = provenance;
  }

  /**
   * An official (or any tensor-file) router imported as-is: fingerprint unknown, the family's
   * default θ.
   */
  public static RouterArtifact importFrom(Path source, ModelFamily expected, Double theta) {
    RouterScores scores = RouterScores.load(source, expected);
    return new RouterArtifact(
        null,
        scores,
        null,
        theta == null ? scores.family().defaultTheta() : theta,
        Provenance.imported(source, "l2c router convert"));
  }

  public String modelFingerprint() {
    return modelFingerprint;
  }

  public RouterScores scores() {
    return scores;
  }

  public ModelFamily family() {
    return scores.family();
  }

  public String sampler() {
    return sampler;
  }

  /** Sampler steps (model evaluations) the router was trained for. */
  public int steps() {
    return scores.nfe();
  }

  public double theta() {
    return theta;
  }

  public List<String> units() {
    return units;
  }

  public Provenance provenance() {
    return provenance;
  }

  /** The schedule at this artifact's θ. */
  public CacheSchedule schedule() {
    return scores.schedule(theta);
  }

  /** A copy with another θ. */
  public RouterArtifact withTheta(double newTheta) {
    return new RouterArtifact(modelFingerprint, scores, sampler, newTheta, provenance);
  }

  /** A copy with more training provenance (keys are merged, the new values win). */
  public RouterArtifact withTraining(Map<String, Object> training) {
    Map<String, Object> merged = new LinkedHashMap<>(provenance.training);
    merged.putAll(training);
    return new RouterArtifact(
        modelFingerprint,
        scores,
        sampler,
        theta,
        new Provenance(
            provenance.source,
            provenance.sourceSha256,
            provenance.created,
            provenance.tool,
            merged));
  }

  // ------------------------------------------------------------------------------------------------ writing

  /** Writes the artifact atomically: a failed write leaves no partial file under {@code file}. */
  public void write(Path file) throws IOException {
    AtomicFile.writeString(file, toJson());
  }

  public String toJson() {
    Gson gson = new GsonBuilder().disableHtmlEscaping().serializeNulls().create();
    StringBuilder sb = new StringBuilder("{\n");
    field(sb, "format", gson.toJson(FORMAT));
    field(sb, "formatVersion", Integer.toString(FORMAT_VERSION));
    field(sb, "modelFingerprint", gson.toJson(modelFingerprint));
    field(sb, "modelFamily", gson.toJson(family().id()));
    field(sb, "sampler", gson.toJson(sampler));
    field(sb, "steps", Integer.toString(steps()));
    field(sb, "theta", Double.toString(theta));
    field(sb, "units", gson.toJson(units).replace(",", ", "));
    sb.append("  \"scores\": [\n");
    float[][] logits = scores.logits();
    for (int k = 0; k < logits.length; k++) {
      sb.append("    [");
      for (int u = 0; u < logits[k].length; u++) {
        if (u > 0) sb.append(", ");
        sb.append(floatLiteral(logits[k][u]));
      }
      sb.append(k + 1 < logits.length ? "],\n" : "]\n");
    }
    sb.append("  ],\n");
    JsonObject prov = new JsonObject();
    prov.addProperty("source", provenance.source);
    prov.addProperty("sourceSha256", provenance.sourceSha256);
    prov.addProperty("created", provenance.created);
    prov.addProperty("tool", provenance.tool);
    prov.add("training", gson.toJsonTree(provenance.training));
    String provJson =
        new GsonBuilder()
            .disableHtmlEscaping()
            .serializeNulls()
            .setPrettyPrinting()
            .create()
            .toJson(prov);
    sb.append("  \"provenance\": ").append(provJson.replace("\n", "\n  ")).append("\n}\n");
    return sb.toString();
  }

  private static void field(StringBuilder sb, String name, String json) {
    sb.append("  \"").append(name).append("\": ").append(json).append(",\n");
  }

  /**
   * The shortest decimal that parses back to exactly {@code v} (Java's Float.toString guarantees
   * this).
   */
  private static String floatLiteral(float v) {
    if (!Float.isFinite(v)) {
      throw new IllegalArgumentException("router logit " + v + " is not finite");
    }
    String s = Float.toString(v);
    return s.endsWith(".0") ? s.substring(0, s.length() - 2) : s;
  }

  // ------------------------------------------------------------------------------------------------ reading

  /**
   * True if the file is JSON text (its first non-blank character is '{' or '['), so a router JSON
   * rather than a tensor file; the file must be a readable regular file.
   */
  public static boolean looksLikeJson(Path file) {
    InputFile.checkReadable(file);
    return FileFormat.detect(file) == FileFormat.JSON;
  }

  /**
   * Our router JSON as written, or an official router checkpoint (or router tensor file) imported
   * at its family's default θ with an unknown model fingerprint: every reader of a router named by
   * the user opens it this way.
   */
  public static RouterArtifact open(Path file) {
    return looksLikeJson(file) ? read(file) : importFrom(file, null, null);
  }

  public static RouterArtifact read(Path file) {
    InputFile.checkReadable(file);
    String json;
    try {
      long size = Files.size(file);
      if (size > MAX_JSON_BYTES) {
        throw new CheckpointFormatException(
            file,
            "is "
                + size
                + " bytes; a router JSON is a few KB (at most "
                + MAX_JSON_BYTES
                + " bytes are read)");
      }
      json = Files.readString(file, StandardCharsets.UTF_8);
    } catch (java.nio.charset.MalformedInputException e) {
      throw new CheckpointFormatException(file, "router JSON is not UTF-8 text", e);
    } catch (IOException e) {
      throw new CheckpointFormatException(file, InputFile.readProblem(e), e);
    }
    return parse(json, file);
  }

  /**
   * The artifact of a JSON document, with the same checks as {@link #read}; errors name {@code
   * origin}.
   */
  public static RouterArtifact parse(String json, Path origin) {
    Path file = origin;
    JsonObject root = JsonText.parseObject(file, json, "router JSON");
    Reader r = new Reader(file, root);
    String format = r.string("format");
    if (!FORMAT.equals(format)) {
      throw new CheckpointFormatException(
          file, "key 'format' is '" + format + "', expected '" + FORMAT + "'");
    }
    int version = r.integer("formatVersion");
    if (version != FORMAT_VERSION) {
      throw new CheckpointFormatException(
          file, "key 'formatVersion' is " + version + "; this l2c reads version " + FORMAT_VERSION);
    }
    ModelFamily family;
    try {
      family = ModelFamily.parse(r.string("modelFamily"));
    } catch (IllegalArgumentException e) {
      throw new CheckpointFormatException(file, "key 'modelFamily': " + e.getMessage());
    }
    int steps = r.integer("steps");
    JsonArray rows = r.array("scores");
    float[][] logits = new float[rows.size()][];
    for (int k = 0; k < rows.size(); k++) {
      if (!rows.get(k).isJsonArray()) {
        throw new CheckpointFormatException(
            file,
            "key 'scores': row "
                + k
                + " is "
                + JsonText.kind(rows.get(k))
                + ", not an array of numbers");
      }
      JsonArray row = rows.get(k).getAsJsonArray();
      logits[k] = new float[row.size()];
      for (int u = 0; u < row.size(); u++) {
        JsonElement v = row.get(u);
        try {
          logits[k][u] = Float.parseFloat(v.getAsJsonPrimitive().getAsString());
        } catch (RuntimeException e) {
          throw new CheckpointFormatException(
              file,
              "key 'scores': row "
                  + k
                  + ", unit "
                  + u
                  + " is "
                  + JsonText.kind(v)
                  + ", not a number");
        }
      }
    }
    if (logits.length != steps) {
      throw new CheckpointFormatException(
          file, "key 'scores' has " + logits.length + " rows, but 'steps' is " + steps);
    }
    RouterScores scores;
    try {
      scores = new RouterScores(family, logits);
    } catch (IllegalArgumentException e) {
      throw new CheckpointFormatException(file, "key 'scores': " + e.getMessage(), e);
    }
    List<String> units = new ArrayList<>();
    for (JsonElement e : r.array("units"))
      units.add(e.isJsonPrimitive() ? e.getAsString() : String.valueOf(e));
    List<String> expectedUnits = family.unitNames(scores.units());
    if (!units.equals(expectedUnits)) {
      throw new CheckpointFormatException(
          file,
          "key 'units' does not match "
              + scores.units()
              + " "
              + family.id()
              + " units "
              + expectedUnits);
    }
    JsonObject prov = r.object("provenance");
    Reader p = new Reader(file, prov);
    Map<String, Object> training = new LinkedHashMap<>();
    if (prov.has("training") && !prov.get("training").isJsonNull()) {
      p.object("training").entrySet().forEach(e -> training.put(e.getKey(), toJava(e.getValue())));
    }
    Provenance provenance =
        new Provenance(
            p.optString("source"),
            p.optString("sourceSha256"),
            p.optString("created"),
            p.optString("tool"),
            training);
    double theta = r.number("theta");
    if (!(theta >= 0 && theta <= 1)) {
      throw new CheckpointFormatException(file, "key 'theta' must be in [0, 1], got " + theta);
    }
    return new RouterArtifact(
        r.string("modelFingerprint"), scores, r.string("sampler"), theta, provenance);
  }

  /**
   * JSON to plain Java: objects to maps, arrays to lists, integral numbers to Long, others to
   * Double.
   */
  private static Object toJava(JsonElement e) {
    if (e == null || e.isJsonNull()) return null;
    if (e.isJsonObject()) {
      Map<String, Object> m = new LinkedHashMap<>();
      e.getAsJsonObject().entrySet().forEach(x -> m.put(x.getKey(), toJava(x.getValue())));
      return m;
    }
    if (e.isJsonArray()) {
      List<Object> l = new ArrayList<>();
      e.getAsJsonArray().forEach(x -> l.add(toJava(x)));
      return l;
    }
    JsonPrimitive p = e.getAsJsonPrimitive();
    if (p.isBoolean()) return p.getAsBoolean();
    if (p.isString()) return p.getAsString();
    BigDecimal d = p.getAsBigDecimal();
    try {
      return d.longValueExact();
    } catch (ArithmeticException notIntegral) {
      return p.getAsDouble();
    }
  }

  /** Typed access to required keys, with errors naming the file and key. */
  private static final class Reader {
    final Path file;
    final JsonObject o;

    Reader(Path file, JsonObject o) {
      this.file = file;
      this.o = o;
    }

    JsonElement get(String key) {
      JsonElement e = o.get(key);
      if (e == null) throw new CheckpointFormatException(file, "missing key '" + key + "'");
      return e;
    }

    String string(String key) {
      JsonElement e = get(key);
      if (!e.isJsonPrimitive())
        throw new CheckpointFormatException(file, "key '" + key + "' must be a string");
      return e.getAsString();
    }

    String optString(String key) {
      JsonElement e = o.get(key);
      if (e == null || e.isJsonNull()) return null;
      if (!e.isJsonPrimitive())
        throw new CheckpointFormatException(file, "key '" + key + "' must be a string");
      return e.getAsString();
    }

    double number(String key) {
      JsonElement e = get(key);
      try {
        return e.getAsJsonPrimitive().getAsDouble();
      } catch (RuntimeException bad) {
        throw new CheckpointFormatException(
            file, "key '" + key + "' must be a number, got " + JsonText.kind(e));
      }
    }

    int integer(String key) {
      JsonElement e = get(key);
      try {
        return e.getAsJsonPrimitive().getAsBigDecimal().intValueExact();
      } catch (RuntimeException bad) {
        throw new CheckpointFormatException(file, "key '" + key + "' must be an integer");
      }
    }

    JsonArray array(String key) {
      JsonElement e = get(key);
      if (!e.isJsonArray())
        throw new CheckpointFormatException(file, "key '" + key + "' must be an array");
      return e.getAsJsonArray();
    }

    JsonObject object(String key) {
      JsonElement e = get(key);
      if (!e.isJsonObject())
        throw new CheckpointFormatException(file, "key '" + key + "' must be an object");
      return e.getAsJsonObject();
    }
  }

  static String sha256(Path file) {
    try (var in = Files.newInputStream(file)) {
      MessageDigest md = MessageDigest.getInstance("SHA-256");
      byte[] buf = new byte[1 << 16];
      int n;
      while ((n = in.read(buf)) > 0) md.update(buf, 0, n);
      return HexFormat.of().formatHex(md.digest());
    } catch (IOException e) {
      throw new CheckpointFormatException(file, InputFile.readProblem(e), e);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  @Override
  public boolean equals(Object o) {
    if (!(o instanceof RouterArtifact)) return false;
    RouterArtifact a = (RouterArtifact) o;
    return modelFingerprint.equals(a.modelFingerprint)
        && family() == a.family()
        && sampler.equals(a.sampler)
        && Double.compare(theta, a.theta) == 0
        && units.equals(a.units)
        && Arrays.deepEquals(scores.logits(), a.scores.logits())
        && Objects.equals(provenance, a.provenance);
  }

  @Override
  public int hashCode() {
    return Objects.hash(modelFingerprint, family(), sampler, theta, units);
  }
}
