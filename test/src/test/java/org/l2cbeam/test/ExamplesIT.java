package org.l2cbeam.test;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.matchesPattern;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/**
 * What the README promises a library user, run as the user would: the "Use l2c-beam from your own
 * project" program and pom are the files in {@code examples/quickstart} (the README quotes them
 * verbatim, with the project's versions), the program compiles and runs on this build's classpath
 * and prints both FIDs; and the notebook script {@code examples/notebook.jsh} runs in JShell, three
 * runs of the whole composition in one session with the same results.
 */
public class ExamplesIT {
  private static final Path ROOT =
      Path.of(System.getProperty("l2c.repo.root", "..")).toAbsolutePath().normalize();
  private static final Path QUICKSTART = ROOT.resolve("examples/quickstart");
  private static final Path PROGRAM = QUICKSTART.resolve("src/main/java/L2cQuickStart.java");

  /**
   * The programs' java.io.tmpdir: TrainRouter's default checkpoints go there, so no run resumes an
   * earlier one.
   */
  @Rule public TemporaryFolder tmp = new TemporaryFolder();

  @Test
  public void theReadmeQuotesTheTestedProgramAndPomWithTheProjectsVersions() throws Exception {
    String readme = Files.readString(ROOT.resolve("README.md"));
    String pom = Files.readString(QUICKSTART.resolve("pom.xml"));
    String program = Files.readString(PROGRAM);
    assertTrue(
        "README quotes examples/quickstart/pom.xml verbatim",
        readme.contains("```xml\n" + pom + "```\n"));
    assertTrue(
        "README quotes L2cQuickStart.java verbatim",
        readme.contains("```java\n" + program + "```\n"));

    String parent = Files.readString(ROOT.resolve("pom.xml"));
    assertThat(
        pom,
        containsString(
            "<artifactId>l2c-transforms</artifactId>\n      <version>"
                + first(parent, "<version>([^<]+)</version>")
                + "</version>"));
    assertThat(
        pom,
        containsString(
            "<artifactId>beam-runners-direct-java</artifactId>\n      <version>"
                + first(parent, "<beam.version>([^<]+)</beam.version>")
                + "</version>"));
    assertThat(
        pom,
        containsString(
            "<artifactId>slf4j-simple</artifactId>\n      <version>"
                + first(parent, "<slf4j.version>([^<]+)</slf4j.version>")
                + "</version>"));
    assertThat(
        readme,
        containsString(
            "org.l2cbeam:l2c-transforms:" + first(parent, "<version>([^<]+)</version>")));
  }

  @Test
  public void theQuickStartProgramRunsAndPrintsBothFids() throws Exception {
    List<String> cmd =
        new ArrayList<>(
            List.of(
                java("java"),
                "-Dai.djl.offline=true",
                "-Djava.io.tmpdir=" + tmp.getRoot(),
                "-cp",
                classpath(),
                PROGRAM.toString(),
                "20",
                "1"));
    String out = run(cmd);
    assertThat(
        out,
        matchesPattern(
            "(?s).*\nDDIM-20 +FID [0-9.]+ over 20 images, 0\\.0% of the MACs removed"
                + " \\(schedule ddim20\\)\n.*"));
    assertThat(
        out,
        matchesPattern(
            "(?s).*\nDDIM-20 \\+ L2C +FID [0-9.]+ over 20 images, 2[5-9]\\.[0-9]% of the MACs"
                + " removed \\(schedule ddim20-l2c-theta.*"));
    assertThat("progress and final metrics", out, containsString("TrainRouter.cacheStep0.loss = "));
  }

  @Test
  public void theNotebookScriptRunsThreeTimesInOneJShellWithTheSameResults() throws Exception {
    List<String> cmd =
        new ArrayList<>(
            List.of(
                java("jshell"),
                "-R-Dai.djl.offline=true",
                "-R-Djava.io.tmpdir=" + tmp.getRoot(),
                "-R-Dl2c.samples=20",
                "-R-Dl2c.iterations=1",
                "-R-Dl2c.examples=200",
                "--class-path",
                classpath(),
                ROOT.resolve("examples/notebook.jsh").toString()));
    String out = run(cmd);
    for (int run = 1; run <= 3; run++) {
      assertThat(
          out,
          matchesPattern(
              "(?s).*\nnotebook run "
                  + run
                  + ": FID plain [0-9.]+, L2C [0-9.]+, L2C samples"
                  + " sha256 [0-9a-f]{16}; [0-9.]+ s wall, [0-9.]+ CPU-s, RSS [0-9]+ MB\n.*"));
    }
    assertThat(
        out,
        containsString(
            "notebook: the same samples (byte for byte) and FIDs (within 1e-8) in all 3 runs"));
    assertThat(out, containsString("SharedModels.releaseAll() released 2 models"));
    assertThat(out, containsString("notebook: loaded after release []"));
  }

  /**
   * The JDK tool {@code name} of the JDK running the tests (JShell is part of every JDK since 9).
   */
  private static String java(String name) {
    Path tool = Path.of(System.getProperty("java.home"), "bin", name);
    assertTrue(tool + " exists (a full JDK runs the tests)", Files.isExecutable(tool));
    return tool.toString();
  }

  /**
   * This test's classpath: the transforms, their dependencies, the DirectRunner and an SLF4J
   * binding.
   */
  private static String classpath() {
    String cp =
        System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
    return String.join(File.pathSeparator, cp.split(File.pathSeparator));
  }

  /**
   * Runs {@code cmd} in the repository root; returns stdout and stderr together, after checking
   * exit code 0.
   */
  private static String run(List<String> cmd) throws Exception {
    Path log = Files.createTempFile("l2c-example", ".log");
    Process p =
        new ProcessBuilder(cmd)
            .directory(ROOT.toFile())
            .redirectErrorStream(true)
            .redirectOutput(log.toFile())
            .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
            .start();
    boolean finished = p.waitFor(15, TimeUnit.MINUTES);
    if (!finished) p.destroyForcibly();
    String out = Files.readString(log, StandardCharsets.UTF_8);
    Files.delete(log);
    System.out.println(out);
    assertTrue("finished within 15 minutes: " + cmd.get(0), finished);
    assertEquals("exit code of " + cmd.get(0) + "\n" + out, 0, p.exitValue());
    return out;
  }

  private static String first(String text, String regex) {
    Matcher m = Pattern.compile(regex).matcher(text);
    assertTrue(regex, m.find());
    return m.group(1);
  }
}
