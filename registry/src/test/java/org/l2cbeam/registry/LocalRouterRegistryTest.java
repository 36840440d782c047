package org.l2cbeam.registry;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/** The registry contract on a local directory, plus what only real processes can show. */
public class LocalRouterRegistryTest extends RouterRegistryContract {
  @Rule public TemporaryFolder tmp = new TemporaryFolder();
  private Path dir;

  @Override
  protected RegistryStore newStore() throws IOException {
    dir = tmp.newFolder("registry").toPath();
    return new LocalDirectoryStore(dir);
  }

  @Test
  public void openTakesAPathOrAFileUri() {
    registry.publish(TestRouters.router(TestRouters.MODEL_A, 1), RouterRegistry.NONE);
    assertEquals(
        1, RouterRegistry.open(dir.toString()).latest(TestRouters.keyA()).orElseThrow().version());
    assertEquals(
        1,
        RouterRegistry.open(dir.toUri().toString())
            .latest(TestRouters.keyA())
            .orElseThrow()
            .version());
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class, () -> RouterRegistry.open("s3://bucket/routers"));
    assertThat(e.getMessage(), containsString("s3://bucket/routers"));
  }

  @Test
  public void noTemporaryOrLockFileIsListedOrLeftAsAnObject() throws IOException {
    registry.publish(TestRouters.router(TestRouters.MODEL_A, 1), RouterRegistry.NONE);
    registry.publish(TestRouters.router(TestRouters.MODEL_A, 2), 1);
    try (Stream<Path> files = Files.walk(dir)) {
      List<String> partial =
          files
              .map(p -> p.getFileName().toString())
              .filter(n -> n.endsWith(".partial"))
              .collect(Collectors.toList());
      assertEquals(List.of(), partial);
    }
    assertTrue(store.list("").stream().noneMatch(k -> k.contains("/.")));
  }

  @Test
  public void twoProcessesRaceForLatestAndExactlyOneWins() throws Exception {
    registry.publish(TestRouters.router(TestRouters.MODEL_A, 1), RouterRegistry.NONE);
    Path go = tmp.getRoot().toPath().resolve("go");
    List<Process> processes = new ArrayList<>();
    for (int variant : new int[] {21, 22}) {
      processes.add(publisher(variant, 1, go, false));
    }
    Files.createFile(go);
    List<String> results = new ArrayList<>();
    for (Process p : processes) results.add(resultOf(p, 0));

    long won = results.stream().filter(r -> r.startsWith("RESULT PUBLISHED")).count();
    assertEquals("exactly one process wins: " + results, 1, won);
    int winner = registry.latest(TestRouters.keyA()).orElseThrow().version();
    String loser =
        results.stream().filter(r -> !r.startsWith("RESULT PUBLISHED")).findFirst().orElseThrow();
    assertThat(loser, containsString("RESULT CONFLICT"));
    assertThat(loser, containsString("latest moved from v1 to v" + winner));
    assertEquals(3, registry.list(TestRouters.keyA()).size());
  }

  @Test
  public void publisherKilledBetweenVersionAndPointerLeavesLatestValid() throws Exception {
    registry.publish(TestRouters.router(TestRouters.MODEL_A, 1), RouterRegistry.NONE);
    Path go = tmp.getRoot().toPath().resolve("go");
    Files.createFile(go);
    String out = resultOf(publisher(31, 1, go, true), 3);
    assertEquals("the publisher died before printing a result", "", out);

    assertEquals(1, registry.latest(TestRouters.keyA()).orElseThrow().version());
    List<RegistryEntry> entries = registry.list(TestRouters.keyA());
    assertEquals(RegistryEntry.Status.UNPUBLISHED, entries.get(1).status());
    assertEquals(
        TestRouters.router(TestRouters.MODEL_A, 31).toJson(),
        registry.get(TestRouters.keyA(), 2).router().toJson());
    assertEquals(3, registry.publish(TestRouters.router(TestRouters.MODEL_A, 32), 1).version());
  }

  private Process publisher(int variant, int expected, Path go, boolean halt) throws IOException {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    List<String> command =
        new ArrayList<>(
            List.of(
                java,
                "-Xmx256m",
                "-cp",
                System.getProperty("java.class.path"),
                RegistryPublisherProcess.class.getName(),
                dir.toString(),
                Integer.toString(variant),
                Integer.toString(expected),
                go.toString()));
    if (halt) command.add("halt");
    return new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.INHERIT).start();
  }

  /** The process's RESULT line ("" if none) once it exits with {@code exitCode}. */
  private static String resultOf(Process p, int exitCode) throws Exception {
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue("publisher process did not finish", p.waitFor(120, TimeUnit.SECONDS));
    assertEquals("publisher output: " + out, exitCode, p.exitValue());
    return out.lines().filter(l -> l.startsWith("RESULT")).findFirst().orElse("");
  }
}
