package org.l2cbeam.registry;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.l2cbeam.core.io.JsonText;

/**
 * One of the registry's own JSON objects (a manifest, the latest pointer) being read: every error
 * names the object's location and the key, so a corrupt or foreign file is reported as that file,
 * not as a Gson stack trace.
 */
final class RegistryJson {
  static final Gson GSON =
      new GsonBuilder().disableHtmlEscaping().serializeNulls().setPrettyPrinting().create();

  final String location;
  final JsonObject object;

  private RegistryJson(String location, JsonObject object) {
    this.location = location;
    this.object = object;
  }

  /** Parses {@code bytes} as a JSON object of the given format and format version. */
  static RegistryJson parse(
      String location, byte[] bytes, String what, String format, int formatVersion) {
    String text;
    try {
      text =
          StandardCharsets.UTF_8
              .newDecoder()
              .onMalformedInput(CodingErrorAction.REPORT)
              .decode(ByteBuffer.wrap(bytes))
              .toString();
    } catch (CharacterCodingException e) {
      throw new RegistryException(location, what + " is not UTF-8 text");
    }
    JsonElement root;
    try {
      root = JsonParser.parseString(text);
    } catch (RuntimeException e) {
      throw new RegistryException(location, what + " is not valid JSON: " + JsonText.problem(e), e);
    }
    if (root == null || !root.isJsonObject()) {
      throw new RegistryException(
          location, what + " must be a JSON object, but the top level is " + JsonText.kind(root));
    }
    RegistryJson json = new RegistryJson(location, root.getAsJsonObject());
    String actual = json.string("format");
    if (!format.equals(actual)) {
      throw new RegistryException(
          location, "key 'format' is '" + actual + "', expected '" + format + "' (" + what + ")");
    }
    int version = json.integer("formatVersion");
    if (version != formatVersion) {
      throw new RegistryException(
          location,
          "key 'formatVersion' is "
              + version
              + "; this l2c reads "
              + what
              + " version "
              + formatVersion);
    }
    return json;
  }

  static byte[] bytes(Map<String, Object> fields) {
    return (GSON.toJson(fields) + "\n").getBytes(StandardCharsets.UTF_8);
  }

  JsonElement get(String key) {
    JsonElement e = object.get(key);
    if (e == null) throw new RegistryException(location, "missing key '" + key + "'");
    return e;
  }

  boolean isNull(String key) {
    return !object.has(key) || object.get(key).isJsonNull();
  }

  String string(String key) {
    JsonElement e = get(key);
    if (!e.isJsonPrimitive() || !e.getAsJsonPrimitive().isString()) {
      throw new RegistryException(
          location, "key '" + key + "' must be a string, got " + JsonText.kind(e));
    }
    return e.getAsString();
  }

  int integer(String key) {
    JsonElement e = get(key);
    try {
      return e.getAsJsonPrimitive().getAsBigDecimal().intValueExact();
    } catch (RuntimeException bad) {
      throw new RegistryException(
          location, "key '" + key + "' must be an integer, got " + JsonText.kind(e));
    }
  }

  long longInteger(String key) {
    JsonElement e = get(key);
    try {
      return e.getAsJsonPrimitive().getAsBigDecimal().longValueExact();
    } catch (RuntimeException bad) {
      throw new RegistryException(
          location, "key '" + key + "' must be an integer, got " + JsonText.kind(e));
    }
  }

  JsonObject objectOrEmpty(String key) {
    if (isNull(key)) return new JsonObject();
    JsonElement e = get(key);
    if (!e.isJsonObject()) {
      throw new RegistryException(
          location, "key '" + key + "' must be an object, got " + JsonText.kind(e));
    }
    return e.getAsJsonObject();
  }

  RegistryJson child(String key, JsonElement e) {
    if (!e.isJsonObject()) {
      throw new RegistryException(
          location, "key '" + key + "' must hold objects, got " + JsonText.kind(e));
    }
    return new RegistryJson(location, e.getAsJsonObject());
  }
}
