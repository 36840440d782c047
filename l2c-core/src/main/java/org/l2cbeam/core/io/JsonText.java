package org.l2cbeam.core.io;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.nio.file.Path;

/**
 * Parses JSON that came from a file, with errors a user can act on: Gson's messages carry its
 * exception class names and a troubleshooting URL, and its type errors echo the whole document;
 * here the error names the file and says where the JSON is broken ("Unterminated object at line 1
 * column 12 path $.a") or what the top level is instead.
 */
public final class JsonText {
  private JsonText() {}

  /** The JSON object {@code json} holds; {@code what} names it in errors, e.g. "router JSON". */
  public static JsonObject parseObject(Path file, String json, String what) {
    JsonElement root;
    try {
      root = JsonParser.parseString(json);
    } catch (RuntimeException e) {
      throw new CheckpointFormatException(file, what + " is not valid JSON: " + problem(e), e);
    }
    if (!root.isJsonObject()) {
      throw new CheckpointFormatException(
          file, what + " must be a JSON object, but the top level is " + kind(root));
    }
    return root.getAsJsonObject();
  }

  /** "an array", "a number", ... for error messages that must not echo a (possibly huge) value. */
  public static String kind(JsonElement e) {
    if (e == null || e.isJsonNull()) return "null";
    if (e.isJsonArray()) return "an array";
    if (e.isJsonObject()) return "an object";
    if (e.getAsJsonPrimitive().isString()) return "a string";
    if (e.getAsJsonPrimitive().isBoolean()) return "a boolean";
    return "a number";
  }

  /**
   * Gson's message without its troubleshooting link: that of the innermost cause (the wrappers'
   * messages repeat it behind an exception class name).
   */
  public static String problem(Throwable e) {
    Throwable t = e;
    while (t.getCause() != null && t.getCause() != t) t = t.getCause();
    String m = t.getMessage() == null ? "" : t.getMessage();
    int see = m.indexOf("\nSee ");
    if (see >= 0) m = m.substring(0, see);
    m = m.trim();
    if (m.isEmpty()) return "malformed JSON";
    return m.length() > 300 ? m.substring(0, 300) + "..." : m;
  }
}
