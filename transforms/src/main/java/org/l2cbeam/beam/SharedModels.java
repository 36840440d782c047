package org.l2cbeam.beam;

import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;

/**
 * The JVM-wide cache of loaded models (DiT weights, FID feature networks): one copy per worker JVM, keyed by the
 * weights' fingerprint, loaded lazily by the first DoFn that needs it and shared by every DoFn instance and thread
 * after that. Beam creates several instances of a DoFn per JVM (DirectRunner alone makes 3), so loading in
 * {@code @Setup} would hold several copies of multi-GB weights.
 *
 * <p>Entries live as long as the JVM (a worker serves one job). A failed load is not cached: the next caller
 * retries, as a retried bundle would.
 */
public final class SharedModels {
  private static final ConcurrentMap<String, Entry> ENTRIES = new ConcurrentHashMap<>();

  private SharedModels() {}

  /**
   * The model of {@code kind} with weights {@code fingerprint}, loading it with {@code loader} if this JVM has none.
   * Concurrent callers for the same key wait for one load; other keys load in parallel.
   */
  public static <T> T get(String kind, String fingerprint, Class<T> type, Callable<? extends T> loader) {
    String key = kind + "/" + fingerprint;
    Object value = ENTRIES.computeIfAbsent(key, k -> new Entry()).get(key, loader);
    if (!type.isInstance(value)) {
      throw new IllegalStateException(
          "shared model " + key + " is a " + value.getClass().getName() + ", not a " + type.getName());
    }
    return type.cast(value);
  }

  /** True if this JVM already holds the model (for tests and logging; never needed to call {@link #get}). */
  public static boolean isLoaded(String kind, String fingerprint) {
    Entry e = ENTRIES.get(kind + "/" + fingerprint);
    return e != null && e.value != null;
  }

  /** One lazily loaded value; the load runs outside the map's lock so other keys are not blocked. */
  private static final class Entry {
    private volatile Object value;

    Object get(String key, Callable<?> loader) {
      Object v = value;
      if (v != null) return v;
      synchronized (this) {
        if (value == null) {
          try {
            Object loaded = loader.call();
            if (loaded == null) throw new IllegalStateException("loader for shared model " + key + " returned null");
            value = loaded;
          } catch (RuntimeException e) {
            throw e;
          } catch (Exception e) {
            throw new IllegalStateException("cannot load shared model " + key + ": " + e.getMessage(), e);
          }
        }
        return value;
      }
    }
  }
}
