package org.l2cbeam.registry;

import com.google.cloud.NoCredentials;
import com.google.cloud.storage.Storage;
import com.google.cloud.storage.StorageOptions;
import com.google.gson.Gson;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Predicate;
import java.util.zip.CRC32C;
import java.util.zip.GZIPInputStream;

/**
 * An in-process stand-in for the Cloud Storage JSON API, on the loopback interface, that the real
 * {@code google-cloud-storage} client talks to over HTTP ({@link #client()}: {@code
 * StorageOptions.setHost} and {@link NoCredentials}). It implements the subset the client uses for
 * the registry, with Cloud Storage's documented semantics where the registry relies on them:
 *
 * <ul>
 *   <li>objects with generation numbers (a new, larger one for every write) and metagenerations;
 *   <li>the preconditions {@code ifGenerationMatch} (0 = does not exist), {@code
 *       ifGenerationNotMatch}, {@code ifMetagenerationMatch} on uploads, and {@code generation} on
 *       reads, answered with Cloud Storage's HTTP 412 and 404 error bodies;
 *   <li>atomic uploads: an object becomes visible only once its whole multipart body arrived, and
 *       an upload whose {@code md5Hash} or {@code crc32c} does not match its bytes is refused with
 *       HTTP 400;
 *   <li>strongly consistent, lexicographically ordered, paginated listing by prefix;
 *   <li>HTTP 404 "The specified bucket does not exist." for unknown buckets, and HTTP 401 for
 *       requests without an {@code Authorization} header when {@link #requireAuthorization} is set.
 * </ul>
 *
 * <p>Faults can be injected per request ({@link #inject}): a connection cut half-way through the
 * upload body (nothing is stored), a 503 (nothing is stored), or the response lost after the object
 * was stored.
 *
 * <p>It does not check: IAM (any bearer token is accepted), object versioning, soft delete, holds
 * and retention, the per-object write rate limit (one write per second), resumable and XML API
 * uploads, the gRPC transport, customer-supplied encryption keys, or request fields the registry
 * never sends.
 */
final class CloudStorageStandIn implements AutoCloseable {
  /** What an injected fault does to a matching request. */
  enum Fault {
    /**
     * Reads half the request body, then closes the connection without an answer; nothing is stored.
     */
    CUT_UPLOAD_HALFWAY,
    /** Answers 503 Service Unavailable; nothing is stored. */
    UNAVAILABLE,
    /**
     * Stores the object, then closes the connection without an answer, as a lost response would.
     */
    LOSE_RESPONSE
  }

  private record StoredObject(
      byte[] bytes, long generation, long metageneration, String contentType, Instant created) {}

  private record Injection(Predicate<String> objectName, Fault fault, AtomicInteger remaining) {}

  private static final Gson GSON = new Gson();

  private final HttpServer server;
  private final Set<String> buckets = ConcurrentHashMap.newKeySet();
  private final Map<String, TreeMap<String, StoredObject>> objects = new HashMap<>();
  private final AtomicLong nextGeneration = new AtomicLong(1_700_000_000_000_000L);
  private final List<Injection> injections = new CopyOnWriteArrayList<>();
  private final AtomicInteger uploads = new AtomicInteger();
  private volatile boolean requireAuthorization;

  static {
    // Without TCP_NODELAY, small responses wait for the client's delayed ACK (about 40 ms per
    // request).
    System.setProperty("sun.net.httpserver.nodelay", "true");
  }

  CloudStorageStandIn() throws IOException {
    server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    server.createContext("/", this::handle);
    server.setExecutor(
        Executors.newFixedThreadPool(
            8,
            r -> {
              Thread t = new Thread(r, "gcs-stand-in");
              t.setDaemon(true);
              return t;
            }));
    server.start();
  }

  /** {@code http://127.0.0.1:PORT}. */
  String host() {
    return "http://" + server.getAddress().getHostString() + ":" + server.getAddress().getPort();
  }

  void createBucket(String bucket) {
    buckets.add(bucket);
    synchronized (objects) {
      objects.putIfAbsent(bucket, new TreeMap<>());
    }
  }

  void requireAuthorization(boolean required) {
    requireAuthorization = required;
  }

  /** Applies {@code fault} to the next {@code times} uploads of objects whose name matches. */
  void inject(Predicate<String> objectName, Fault fault, int times) {
    injections.add(new Injection(objectName, fault, new AtomicInteger(times)));
  }

  /** Upload requests received (attempts, including failed and retried ones). */
  int uploadAttempts() {
    return uploads.get();
  }

  /**
   * The real client, pointed at this stand-in, without credentials, with the client's own retry
   * logic but short delays so that tests of persistent faults end quickly.
   */
  Storage client() {
    return StorageOptions.newBuilder()
        .setHost(host())
        .setProjectId("l2c-test")
        .setCredentials(NoCredentials.getInstance())
        .setRetrySettings(
            com.google.api.gax.retrying.RetrySettings.newBuilder()
                .setMaxAttempts(4)
                .setInitialRetryDelayDuration(Duration.ofMillis(20))
                .setMaxRetryDelayDuration(Duration.ofMillis(100))
                .setRetryDelayMultiplier(2.0)
                .setTotalTimeoutDuration(Duration.ofSeconds(20))
                .setInitialRpcTimeoutDuration(Duration.ofSeconds(10))
                .setMaxRpcTimeoutDuration(Duration.ofSeconds(10))
                .setRpcTimeoutMultiplier(1.0)
                .build())
        .build()
        .getService();
  }

  @Override
  public void close() {
    server.stop(0);
  }

  // ----------------------------------------------------------------------------------------------
  // HTTP

  /**
   * Answers one request. A handler that throws (an injected cut or lost response) leaves the
   * exchange open, so the server drops the connection without an answer.
   */
  private void handle(HttpExchange ex) throws IOException {
    answer(ex);
    ex.close();
  }

  private void answer(HttpExchange ex) throws IOException {
    if (requireAuthorization && ex.getRequestHeaders().getFirst("Authorization") == null) {
      error(
          ex,
          401,
          "Anonymous caller does not have storage.objects.get access to the Google Cloud Storage object.",
          "required");
      return;
    }
    String path = ex.getRequestURI().getRawPath();
    Map<String, String> query = query(ex.getRequestURI().getRawQuery());
    String method = ex.getRequestMethod();
    String[] upload = match(path, "/upload/storage/v1/b/", "/o");
    if (upload != null && method.equals("POST")) {
      upload(ex, upload[0], query);
      return;
    }
    String[] list = match(path, "/storage/v1/b/", "/o");
    if (list != null && method.equals("GET")) {
      list(ex, list[0], query);
      return;
    }
    String[] object = objectPath(path);
    if (object != null && method.equals("GET")) {
      get(ex, object[0], object[1], query);
      return;
    }
    error(ex, 501, "The stand-in does not implement " + method + " " + path, "notImplemented");
  }

  /** {bucket} of {@code start + bucket + end} exactly, else null. */
  private static String[] match(String path, String start, String end) {
    if (!path.startsWith(start) || !path.endsWith(end)) return null;
    String bucket = path.substring(start.length(), path.length() - end.length());
    return bucket.isEmpty() || bucket.contains("/") ? null : new String[] {decode(bucket)};
  }

  /**
   * {bucket, object} of {@code /storage/v1/b/B/o/NAME} or {@code /download/storage/v1/b/B/o/NAME},
   * else null.
   */
  private static String[] objectPath(String path) {
    String p = path.startsWith("/download") ? path.substring("/download".length()) : path;
    if (!p.startsWith("/storage/v1/b/")) return null;
    String rest = p.substring("/storage/v1/b/".length());
    int o = rest.indexOf("/o/");
    if (o <= 0) return null;
    return new String[] {decode(rest.substring(0, o)), decode(rest.substring(o + 3))};
  }

  private void upload(HttpExchange ex, String bucket, Map<String, String> query)
      throws IOException {
    uploads.incrementAndGet();
    if (!"multipart".equals(query.get("uploadType"))) {
      error(
          ex,
          501,
          "The stand-in implements multipart uploads only, not " + query.get("uploadType"),
          "notImplemented");
      return;
    }
    String contentType = ex.getRequestHeaders().getFirst("Content-Type");
    int b = contentType == null ? -1 : contentType.indexOf("boundary=");
    if (b < 0) {
      error(ex, 400, "Missing multipart boundary", "invalid");
      return;
    }
    String boundary = contentType.substring(b + "boundary=".length()).replace("\"", "");
    InputStream in = ex.getRequestBody();
    if ("gzip".equalsIgnoreCase(ex.getRequestHeaders().getFirst("Content-Encoding"))) {
      in =
          new GZIPInputStream(
              in); // the client compresses request bodies, which Cloud Storage accepts
    }
    // Read only until the metadata part (with the object's name) has arrived: a cut upload stops
    // there, with the rest
    // of the body unread, as a network failure half-way through the transfer would.
    ByteArrayOutputStream whole = new ByteArrayOutputStream();
    byte[] buffer = new byte[256];
    String name = "";
    for (int n; name.isEmpty() && (n = in.read(buffer)) > 0; ) {
      whole.write(buffer, 0, n);
      name = nameIn(whole.toByteArray());
    }
    Injection injection = takeInjection(name);
    if (injection != null && injection.fault() == Fault.CUT_UPLOAD_HALFWAY) {
      throw new IOException("stand-in: connection cut half-way through the upload of " + name);
    }
    in.transferTo(whole);
    List<byte[]> parts = multipartParts(whole.toByteArray(), boundary);
    if (parts.size() != 2) {
      error(
          ex,
          400,
          "A multipart upload needs metadata and media parts, got " + parts.size(),
          "invalid");
      return;
    }
    JsonObject metadata =
        JsonParser.parseString(new String(partBytes(parts.get(0)), StandardCharsets.UTF_8))
            .getAsJsonObject();
    byte[] media = partBytes(parts.get(1));
    if (!metadata.has("name")) {
      error(ex, 400, "Required object name", "required");
      return;
    }
    name = metadata.get("name").getAsString();
    if (injection != null && injection.fault() == Fault.UNAVAILABLE) {
      error(ex, 503, "We encountered an internal error. Please try again.", "backendError");
      return;
    }
    if (metadata.has("md5Hash") && !metadata.get("md5Hash").getAsString().equals(md5(media))) {
      error(
          ex,
          400,
          "Provided MD5 hash \""
              + metadata.get("md5Hash").getAsString()
              + "\" doesn't match calculated MD5 hash \""
              + md5(media)
              + "\".",
          "invalid");
      return;
    }
    if (metadata.has("crc32c") && !metadata.get("crc32c").getAsString().equals(crc32c(media))) {
      error(
          ex,
          400,
          "Provided CRC32C \""
              + metadata.get("crc32c").getAsString()
              + "\" doesn't match calculated CRC32C \""
              + crc32c(media)
              + "\".",
          "invalid");
      return;
    }
    String type =
        metadata.has("contentType")
            ? metadata.get("contentType").getAsString()
            : "application/octet-stream";
    StoredObject stored;
    synchronized (objects) {
      TreeMap<String, StoredObject> inBucket = objects.get(bucket);
      if (inBucket == null) {
        error(ex, 404, "The specified bucket does not exist.", "notFound");
        return;
      }
      StoredObject current = inBucket.get(name);
      String failed = preconditionFailure(current, query);
      if (failed != null) {
        error(
            ex,
            412,
            "At least one of the pre-conditions you specified did not hold.",
            "conditionNotMet");
        return;
      }
      stored =
          new StoredObject(
              media,
              nextGeneration.addAndGet(1 + (long) (Math.random() * 1000)),
              1,
              type,
              Instant.now());
      inBucket.put(name, stored);
    }
    if (injection != null && injection.fault() == Fault.LOSE_RESPONSE) {
      throw new IOException(
          "stand-in: response to the upload of " + name + " lost after storing it");
    }
    json(ex, 200, resource(bucket, name, stored));
  }

  /**
   * Null if {@code query}'s preconditions hold for {@code current} (null: no live object), else
   * which failed.
   */
  private static String preconditionFailure(StoredObject current, Map<String, String> query) {
    String match = query.get("ifGenerationMatch");
    if (match != null) {
      long g = Long.parseLong(match);
      if (g == 0 ? current != null : current == null || current.generation() != g)
        return "ifGenerationMatch";
    }
    String notMatch = query.get("ifGenerationNotMatch");
    if (notMatch != null) {
      long g = Long.parseLong(notMatch);
      if (g == 0 ? current == null : current != null && current.generation() == g)
        return "ifGenerationNotMatch";
    }
    String metaMatch = query.get("ifMetagenerationMatch");
    if (metaMatch != null
        && (current == null || current.metageneration() != Long.parseLong(metaMatch))) {
      return "ifMetagenerationMatch";
    }
    return null;
  }

  private void get(HttpExchange ex, String bucket, String name, Map<String, String> query)
      throws IOException {
    StoredObject o;
    synchronized (objects) {
      TreeMap<String, StoredObject> inBucket = objects.get(bucket);
      if (inBucket == null) {
        error(ex, 404, "The specified bucket does not exist.", "notFound");
        return;
      }
      o = inBucket.get(name);
    }
    // Without object versioning only the live generation exists: asking for another one is "not
    // found".
    if (o == null
        || (query.containsKey("generation")
            && Long.parseLong(query.get("generation")) != o.generation())) {
      error(ex, 404, "No such object: " + bucket + "/" + name, "notFound");
      return;
    }
    if (preconditionFailure(o, query) != null) {
      error(
          ex,
          412,
          "At least one of the pre-conditions you specified did not hold.",
          "conditionNotMet");
      return;
    }
    if ("media".equals(query.get("alt"))) {
      ex.getResponseHeaders().set("Content-Type", o.contentType());
      ex.getResponseHeaders().set("x-goog-generation", Long.toString(o.generation()));
      ex.getResponseHeaders().set("x-goog-metageneration", Long.toString(o.metageneration()));
      ex.getResponseHeaders()
          .set("x-goog-hash", "crc32c=" + crc32c(o.bytes()) + ",md5=" + md5(o.bytes()));
      ex.getResponseHeaders()
          .set("x-goog-stored-content-length", Integer.toString(o.bytes().length));
      ex.sendResponseHeaders(200, o.bytes().length == 0 ? -1 : o.bytes().length);
      try (OutputStream out = ex.getResponseBody()) {
        out.write(o.bytes());
      }
      return;
    }
    json(ex, 200, resource(bucket, name, o));
  }

  private void list(HttpExchange ex, String bucket, Map<String, String> query) throws IOException {
    String prefix = query.getOrDefault("prefix", "");
    int max = Integer.parseInt(query.getOrDefault("maxResults", "1000"));
    String token = query.get("pageToken");
    List<Map<String, Object>> items = new ArrayList<>();
    String next = null;
    synchronized (objects) {
      TreeMap<String, StoredObject> inBucket = objects.get(bucket);
      if (inBucket == null) {
        error(ex, 404, "The specified bucket does not exist.", "notFound");
        return;
      }
      for (Map.Entry<String, StoredObject> e :
          inBucket.tailMap(token == null ? prefix : token, true).entrySet()) {
        if (!e.getKey().startsWith(prefix)) break;
        if (items.size() == max) {
          next = e.getKey();
          break;
        }
        items.add(resource(bucket, e.getKey(), e.getValue()));
      }
    }
    Map<String, Object> page = new LinkedHashMap<>();
    page.put("kind", "storage#objects");
    if (!items.isEmpty()) page.put("items", items);
    if (next != null) page.put("nextPageToken", next);
    json(ex, 200, page);
  }

  private static Map<String, Object> resource(String bucket, String name, StoredObject o) {
    Map<String, Object> r = new LinkedHashMap<>();
    r.put("kind", "storage#object");
    r.put("id", bucket + "/" + name + "/" + o.generation());
    r.put("name", name);
    r.put("bucket", bucket);
    r.put("generation", Long.toString(o.generation()));
    r.put("metageneration", Long.toString(o.metageneration()));
    r.put("contentType", o.contentType());
    r.put("size", Integer.toString(o.bytes().length));
    r.put("md5Hash", md5(o.bytes()));
    r.put("crc32c", crc32c(o.bytes()));
    r.put("etag", "C" + Long.toString(o.generation(), 36) + "=");
    r.put("timeCreated", o.created().toString());
    r.put("updated", o.created().toString());
    r.put("storageClass", "STANDARD");
    return r;
  }

  private static void error(HttpExchange ex, int code, String message, String reason)
      throws IOException {
    Map<String, Object> detail = new LinkedHashMap<>();
    detail.put("message", message);
    detail.put("domain", "global");
    detail.put("reason", reason);
    Map<String, Object> err = new LinkedHashMap<>();
    err.put("code", code);
    err.put("message", message);
    err.put("errors", List.of(detail));
    json(ex, code, Map.of("error", err));
  }

  private static void json(HttpExchange ex, int code, Object body) throws IOException {
    byte[] bytes = GSON.toJson(body).getBytes(StandardCharsets.UTF_8);
    ex.getResponseHeaders().set("Content-Type", "application/json; charset=UTF-8");
    ex.sendResponseHeaders(code, bytes.length);
    try (OutputStream out = ex.getResponseBody()) {
      out.write(bytes);
    }
  }

  // ----------------------------------------------------------------------------------------------
  // parsing

  private static byte[] readBody(InputStream in) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    in.transferTo(out);
    return out.toByteArray();
  }

  private static Map<String, String> query(String raw) {
    Map<String, String> q = new HashMap<>();
    if (raw == null) return q;
    for (String pair : raw.split("&")) {
      int eq = pair.indexOf('=');
      if (eq < 0) q.put(decode(pair), "");
      else q.put(decode(pair.substring(0, eq)), decode(pair.substring(eq + 1)));
    }
    return q;
  }

  private static String decode(String s) {
    return URLDecoder.decode(s.replace("+", "%2B"), StandardCharsets.UTF_8);
  }

  /** The parts (headers and body) of a multipart body, without the boundary lines. */
  private static List<byte[]> multipartParts(byte[] body, String boundary) {
    byte[] delimiter = ("--" + boundary).getBytes(StandardCharsets.ISO_8859_1);
    List<Integer> at = new ArrayList<>();
    for (int i = 0; i + delimiter.length <= body.length; i++) {
      if (ByteBuffer.wrap(body, i, delimiter.length).equals(ByteBuffer.wrap(delimiter))) at.add(i);
    }
    List<byte[]> parts = new ArrayList<>();
    for (int k = 0; k + 1 < at.size(); k++) {
      int start = at.get(k) + delimiter.length;
      int end = at.get(k + 1);
      // Each part starts after the delimiter's CRLF and ends before the CRLF that precedes the next
      // delimiter.
      if (start + 2 <= end && body[start] == '\r' && body[start + 1] == '\n') start += 2;
      if (end - 2 >= start && body[end - 2] == '\r' && body[end - 1] == '\n') end -= 2;
      byte[] part = new byte[end - start];
      System.arraycopy(body, start, part, 0, part.length);
      parts.add(part);
    }
    return parts;
  }

  private static byte[] partBytes(byte[] part) {
    for (int i = 0; i + 3 < part.length; i++) {
      if (part[i] == '\r' && part[i + 1] == '\n' && part[i + 2] == '\r' && part[i + 3] == '\n') {
        byte[] body = new byte[part.length - i - 4];
        System.arraycopy(part, i + 4, body, 0, body.length);
        return body;
      }
    }
    throw new IllegalArgumentException("multipart part without a header/body separator");
  }

  private static final java.util.regex.Pattern NAME =
      java.util.regex.Pattern.compile("\"name\"\\s*:\\s*\"([^\"]*)\"");

  /** The object name in the (partial) metadata part of an upload, or "" if it is not there. */
  private static String nameIn(byte[] head) {
    java.util.regex.Matcher m = NAME.matcher(new String(head, StandardCharsets.ISO_8859_1));
    return m.find() ? m.group(1) : "";
  }

  /** The first injection matching {@code name} that has uses left, using one; else null. */
  private Injection takeInjection(String name) {
    for (Injection i : injections) {
      if (i.objectName().test(name) && i.remaining().getAndDecrement() > 0) return i;
    }
    return null;
  }

  static String md5(byte[] bytes) {
    try {
      return Base64.getEncoder().encodeToString(MessageDigest.getInstance("MD5").digest(bytes));
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  static String crc32c(byte[] bytes) {
    CRC32C crc = new CRC32C();
    crc.update(bytes);
    return Base64.getEncoder()
        .encodeToString(ByteBuffer.allocate(4).putInt((int) crc.getValue()).array());
  }
}
