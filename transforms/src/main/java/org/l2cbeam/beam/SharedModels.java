package org.l2cbeam.beam;

import ai.djl.Device;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import org.l2cbeam.core.model.DiffusionTransformer;
import org.l2cbeam.core.model.ModelExecution;
import org.l2cbeam.core.runtime.ComputeDevice;
import org.l2cbeam.core.runtime.Torch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The JVM-wide cache of loaded models (DiT and U-ViT weights, VAEs, FID feature networks): one copy
 * per worker JVM, keyed by the weights' fingerprint, loaded lazily by the first DoFn that needs it
 * and shared by every DoFn instance and thread after that. Beam creates several instances of a DoFn
 * per JVM (DirectRunner alone makes 3), so loading in {@code @Setup} would hold several copies of
 * multi-GB weights.
 *
 * <p>Entries stay until released. A worker serves one job and never needs to; a notebook or a
 * long-lived JVM that runs pipelines with several checkpoints frees what it no longer needs between
 * runs:
 *
 * <pre>{@code
 * SharedModels.release(modelRef);          // one DiT or U-ViT (the ModelRef LoadModel produced)
 * SharedModels.releaseAll(SharedModels.VAE);
 * SharedModels.releaseAll();               // every model, VAE and feature network of this JVM
 * }</pre>
 *
 * Releasing closes the model, which frees its native memory at once, and runs a GC, which unmaps
 * the checkpoint pages the load left mapped. Whether the process's resident memory then drops to
 * its level before the load is up to the C allocator: glibc keeps freed chunks below its (growing)
 * mmap threshold for reuse; start the JVM with {@code MALLOC_MMAP_THRESHOLD_=131072} to have them
 * returned ({@code l2c bench release} measures both). Release only between pipeline runs: a
 * pipeline still running in this JVM would find its model closed. A later run simply loads it
 * again. A failed load is not cached: the next caller retries, as a retried bundle would.
 */
public final class SharedModels {
  private static final Logger LOG = LoggerFactory.getLogger(SharedModels.class);
  private static final ConcurrentMap<String, Entry> ENTRIES = new ConcurrentHashMap<>();

  /** The kind of the DiT models (from {@link LoadModel}). */
  public static final String DIT = "dit";

  /** The kind of the U-ViT models (from {@link LoadModel}). */
  public static final String UVIT = "uvit";

  /** The kind of the VAE decoders ({@code CachedSample.withVae}, {@code ComputeFID.withVae}). */
  public static final String VAE = VaeRef.KIND;

  /** The kind of the FID feature networks ({@link ComputeFID}). */
  public static final String FEATURE_NETWORK = FeatureExtractorRef.SHARED_KIND;

  private SharedModels() {}

  /**
   * The model of {@code kind} with weights {@code fingerprint}, loading it with {@code loader} if
   * this JVM has none. Concurrent callers for the same key wait for one load; other keys load in
   * parallel.
   */
  public static <T> T get(
      String kind, String fingerprint, Class<T> type, Callable<? extends T> loader) {
    String key = kind + "/" + fingerprint;
    Object value = ENTRIES.computeIfAbsent(key, k -> new Entry()).get(key, loader);
    if (!type.isInstance(value)) {
      throw new IllegalStateException(
          "shared model "
              + key
              + " is a "
              + value.getClass().getName()
              + ", not a "
              + type.getName());
    }
    return type.cast(value);
  }

  /**
   * True if this JVM already holds the model (for tests and logging; never needed to call {@link
   * #get}).
   */
  public static boolean isLoaded(String kind, String fingerprint) {
    Entry e = ENTRIES.get(kind + "/" + fingerprint);
    return e != null && e.value != null;
  }

  /** The models this JVM holds now, as {@code kind/fingerprint}, sorted. */
  public static java.util.List<String> loaded() {
    return ENTRIES.entrySet().stream()
        .filter(e -> e.getValue().value != null)
        .map(java.util.Map.Entry::getKey)
        .sorted()
        .collect(java.util.stream.Collectors.toList());
  }

  /**
   * The DiT or U-ViT of {@code ref} (from {@link LoadModel}), loaded once per JVM with the kernels
   * and precision it asks for, and shared by every DoFn instance and thread.
   */
  public static DiffusionTransformer model(ModelRef ref) {
    return model(ref, Torch.defaultDevice());
  }

  /**
   * {@link #model(ModelRef)} with the weights on {@code device}: one copy per device (one model per
   * GPU).
   */
  public static DiffusionTransformer model(ModelRef ref, Device device) {
    ModelExecution execution = ref.resolvedExecution();
    return get(
        ref.architecture(),
        ref.fingerprint() + "/" + execution + ComputeDevice.cacheKeySuffix(device),
        DiffusionTransformer.class,
        () -> FamilyModels.load(ref, execution, device));
  }

  /**
   * Releases the model of {@code model}, with whatever kernels it was loaded (see {@link
   * #release(String, String)}).
   */
  public static boolean release(ModelRef model) {
    return release(model.architecture(), model.fingerprint());
  }

  /**
   * Removes the model of {@code kind} with weights {@code fingerprint} from this JVM, in every
   * variant it was loaded in (a DiT is keyed by its weights and its kernels), and closes it,
   * freeing its native memory. Returns false if it was not loaded. Only between pipeline runs (see
   * the class comment).
   */
  public static boolean release(String kind, String fingerprint) {
    String key = kind + "/" + fingerprint;
    return releaseWhere(k -> k.equals(key) || k.startsWith(key + "/")) > 0;
  }

  /**
   * Releases every model of {@code kind} ({@link #DIT}, {@link #UVIT}, {@link #VAE}, {@link
   * #FEATURE_NETWORK}); returns how many.
   */
  public static int releaseAll(String kind) {
    return releaseWhere(key -> key.startsWith(kind + "/"));
  }

  /** Releases every model this JVM holds; returns how many. */
  public static int releaseAll() {
    return releaseWhere(key -> true);
  }

  private static int releaseWhere(java.util.function.Predicate<String> keys) {
    int released = 0;
    for (String key : new java.util.ArrayList<>(ENTRIES.keySet())) {
      if (!keys.test(key)) continue;
      Entry e = ENTRIES.remove(key);
      if (e == null) continue;
      Object value;
      synchronized (e) { // waits for a load in progress; the next get() makes a new entry
        value = e.value;
        e.value = null;
      }
      if (value == null) continue;
      released++;
      if (value instanceof AutoCloseable) {
        // On the model-call slot: a model call of this JVM that is still running finishes first.
        ModelCallGate.runOutsidePipeline(
            () -> {
              try {
                ((AutoCloseable) value).close();
              } catch (Exception ex) {
                throw new IllegalStateException(
                    "cannot release shared model " + key + ": " + ex.getMessage(), ex);
              }
              return null;
            });
      }
      LOG.info("SharedModels: released {}", key);
    }
    // Loading leaves garbage that holds native memory until the JVM collects it: the checkpoint's
    // memory-mapped
    // buffers and direct-buffer copies. A release is rare and asks for memory back, so collect now.
    if (released > 0) System.gc();
    return released;
  }

  /**
   * One lazily loaded value; the load runs outside the map's lock so other keys are not blocked.
   */
  private static final class Entry {
    private volatile Object value;

    Object get(String key, Callable<?> loader) {
      Object v = value;
      if (v != null) return v;
      synchronized (this) {
        if (value == null) {
          try {
            LOG.info("SharedModels: loading {} into this JVM", key);
            long start = System.nanoTime();
            Object loaded = loader.call();
            LOG.info("SharedModels: loaded {} in {} s", key, Logs.seconds(start));
            if (loaded == null)
              throw new IllegalStateException("loader for shared model " + key + " returned null");
            value = loaded;
          } catch (RuntimeException e) {
            throw e;
          } catch (Exception e) {
            throw new IllegalStateException(
                "cannot load shared model " + key + ": " + e.getMessage(), e);
          }
        }
        return value;
      }
    }
  }
}
