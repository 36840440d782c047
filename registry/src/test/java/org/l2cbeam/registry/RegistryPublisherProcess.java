package org.l2cbeam.registry;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A publisher in its own JVM, for the tests that need real processes: {@code DIR VARIANT EXPECTED
 * GO_FILE [halt]}. It waits until {@code GO_FILE} exists (so that several processes start
 * publishing together), publishes router {@code VARIANT} of model A expecting {@code EXPECTED} as
 * the latest, and prints the outcome. With {@code halt}, the JVM halts at the pointer update, as a
 * publisher killed between writing its version and moving latest would.
 */
public final class RegistryPublisherProcess {
  private RegistryPublisherProcess() {}

  public static void main(String[] args) throws Exception {
    Path dir = Path.of(args[0]);
    int variant = Integer.parseInt(args[1]);
    int expected = Integer.parseInt(args[2]);
    Path go = Path.of(args[3]);
    boolean halt = args.length > 4 && args[4].equals("halt");
    RegistryStore store = new LocalDirectoryStore(dir);
    if (halt)
      store = new FaultyStore(store, k -> k.endsWith("latest.json"), FaultyStore.Fault.HALT);
    RouterRegistry registry = RouterRegistry.on(store);
    long deadline = System.nanoTime() + 60_000_000_000L;
    while (!Files.exists(go)) {
      if (System.nanoTime() > deadline) throw new IllegalStateException("no go signal at " + go);
      Thread.sleep(2);
    }
    try {
      PublishResult r =
          registry.publish(TestRouters.router(TestRouters.MODEL_A, variant), expected);
      System.out.println("RESULT " + r.outcome() + " " + r.version() + " " + r.describe());
    } catch (RuntimeException e) {
      // On stdout, which the test reads and shows when the exit code is not the expected one.
      e.printStackTrace(System.out);
      System.exit(1);
    }
  }
}
