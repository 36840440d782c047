package org.l2cbeam.beam;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.greaterThanOrEqualTo;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.Test;

/**
 * The gate's idle OpenMP team, which keeps libgomp's idle threads from spinning against the
 * runner's threads on a second run in the same JVM: one per JVM however many gates and calls, and a
 * real team (libtorch's OpenMP worker, named after the thread that made it) where libtorch runs on
 * more than one thread.
 */
public class ModelCallGateTest {
  private static final String IDLE = "l2c-openmp-idle";

  @Test
  public void oneIdleOpenMpTeamForTheJvmsLife() throws Exception {
    ModelCallGate.run(1, () -> 1);
    ModelCallGate.run(2, () -> 2);
    ModelCallGate.run(1, () -> 3);
    long javaThreads =
        Thread.getAllStackTraces().keySet().stream().filter(t -> t.getName().equals(IDLE)).count();
    assertThat(javaThreads, equalTo(1L));
    if (Runtime.getRuntime().availableProcessors() >= 2
        && Files.isDirectory(Path.of("/proc/self/task"))) {
      long nativeThreads;
      try (Stream<Path> tasks = Files.list(Path.of("/proc/self/task"))) {
        nativeThreads = tasks.filter(t -> comm(t).equals(IDLE)).count();
      }
      assertThat(
          "the idle thread and at least one OpenMP worker of its team",
          nativeThreads,
          greaterThanOrEqualTo(2L));
    }
  }

  private static String comm(Path task) {
    try {
      return Files.readString(task.resolve("comm")).trim();
    } catch (java.io.IOException e) {
      return ""; // the thread ended meanwhile
    }
  }
}
