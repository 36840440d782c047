package org.l2cbeam.beam;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.greaterThan;
import static org.junit.Assert.assertThrows;

import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.testing.PAssert;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.Reshuffle;
import org.apache.beam.sdk.values.PCollection;
import org.junit.Test;

public class SharedModelsTest {
  /** Loads per fingerprint, counted; static because DoFns are serialized copies. */
  static final java.util.concurrent.ConcurrentMap<String, AtomicInteger> LOADS =
      new java.util.concurrent.ConcurrentHashMap<>();

  /**
   * The DoFn instances (by identity: DoFn keeps Object's equals) that called SharedModels, per
   * fingerprint.
   */
  static final java.util.concurrent.ConcurrentMap<String, java.util.Set<DoFn<?, ?>>> USERS =
      new java.util.concurrent.ConcurrentHashMap<>();

  static Callable<Object> countingLoader(String fingerprint) {
    return () -> {
      LOADS.computeIfAbsent(fingerprint, k -> new AtomicInteger()).incrementAndGet();
      Thread.sleep(50); // long enough for concurrent callers to pile up on the first load
      return new Object[] {fingerprint};
    };
  }

  @Test
  public void concurrentCallersShareOneLoad() throws Exception {
    String fp = UUID.randomUUID().toString();
    ExecutorService pool = Executors.newFixedThreadPool(8);
    List<Future<Object>> results = new ArrayList<>();
    for (int i = 0; i < 32; i++) {
      results.add(
          pool.submit(() -> SharedModels.get("test", fp, Object.class, countingLoader(fp))));
    }
    Object first = results.get(0).get();
    for (Future<Object> f : results) assertThat(f.get() == first, equalTo(true));
    pool.shutdown();
    assertThat(LOADS.get(fp).get(), equalTo(1));
    assertThat(SharedModels.isLoaded("test", fp), equalTo(true));
  }

  @Test
  public void aFailedLoadIsRetriedByTheNextCaller() {
    String fp = UUID.randomUUID().toString();
    IllegalStateException e =
        assertThrows(
            IllegalStateException.class,
            () ->
                SharedModels.get(
                    "test",
                    fp,
                    Object.class,
                    () -> {
                      throw new java.io.IOException("disk on fire");
                    }));
    assertThat(e.getMessage(), containsString("disk on fire"));
    assertThat(SharedModels.isLoaded("test", fp), equalTo(false));
    assertThat(SharedModels.get("test", fp, String.class, () -> "ok"), equalTo("ok"));
  }

  static final class UsesSharedModel extends DoFn<Integer, Integer> {
    private final String fingerprint;

    UsesSharedModel(String fingerprint) {
      this.fingerprint = fingerprint;
    }

    @ProcessElement
    public void process(@Element Integer x, OutputReceiver<Integer> out) {
      USERS
          .computeIfAbsent(fingerprint, k -> java.util.concurrent.ConcurrentHashMap.newKeySet())
          .add(this);
      SharedModels.get("test", fingerprint, Object.class, countingLoader(fingerprint));
      out.output(x);
    }
  }

  @Test
  public void directRunnerDoFnInstancesAndThreadsShareOneLoad() {
    String fp = UUID.randomUUID().toString();
    Pipeline p = Pipeline.create(PipelineOptionsFactory.fromArgs("--runner=DirectRunner").create());
    List<Integer> xs = new ArrayList<>();
    for (int i = 0; i < 48; i++) xs.add(i);
    PCollection<Integer> out =
        p.apply(Create.of(xs))
            .apply(Reshuffle.viaRandomKey())
            .apply(ParDo.of(new UsesSharedModel(fp)));
    PAssert.that(out).containsInAnyOrder(xs);
    p.run().waitUntilFinish();
    int instances = USERS.get(fp).size();
    System.out.println("DoFn instances that used the shared model: " + instances);
    assertThat(
        "several DoFn instances (one per DirectRunner thread) used the model",
        instances,
        greaterThan(1));
    assertThat(LOADS.get(fp).get(), equalTo(1));
  }

  /** A model that records being closed. */
  static final class Closeable implements AutoCloseable {
    final AtomicInteger closed = new AtomicInteger();

    @Override
    public void close() {
      closed.incrementAndGet();
    }
  }

  @Test
  public void releaseClosesTheModelAndTheNextUseLoadsItAgain() {
    String fp = UUID.randomUUID().toString();
    AtomicInteger loads = new AtomicInteger();
    Callable<Closeable> loader =
        () -> {
          loads.incrementAndGet();
          return new Closeable();
        };
    Closeable first = SharedModels.get("release-test", fp, Closeable.class, loader);
    Closeable other = SharedModels.get("release-other", fp, Closeable.class, Closeable::new);
    assertThat(SharedModels.loaded().contains("release-test/" + fp), equalTo(true));

    assertThat(SharedModels.release("release-test", fp), equalTo(true));
    assertThat(first.closed.get(), equalTo(1));
    assertThat(SharedModels.isLoaded("release-test", fp), equalTo(false));
    assertThat(SharedModels.loaded().contains("release-test/" + fp), equalTo(false));
    assertThat("another kind stays", other.closed.get(), equalTo(0));
    assertThat("released twice", SharedModels.release("release-test", fp), equalTo(false));

    Closeable second = SharedModels.get("release-test", fp, Closeable.class, loader);
    assertThat(second != first, equalTo(true));
    assertThat(loads.get(), equalTo(2));

    // A model keyed by its weights and a variant (a DiT's kernels) goes with a release of its
    // weights.
    Closeable variant =
        SharedModels.get("release-test", fp + "/onednn-fp32", Closeable.class, Closeable::new);
    assertThat(SharedModels.release("release-test", fp), equalTo(true));
    assertThat(variant.closed.get(), equalTo(1));
    assertThat(second.closed.get(), equalTo(1));
    second = SharedModels.get("release-test", fp, Closeable.class, loader);

    assertThat(SharedModels.releaseAll("release-test"), equalTo(1));
    assertThat(second.closed.get(), equalTo(1));
    assertThat(SharedModels.releaseAll("release-other"), equalTo(1));
    assertThat(other.closed.get(), equalTo(1));
  }
}
