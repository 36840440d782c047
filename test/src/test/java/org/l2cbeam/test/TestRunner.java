package org.l2cbeam.test;

import java.util.ArrayList;
import java.util.List;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.options.PipelineOptionsFactory;

/**
 * The runner the end-to-end pipeline tests use, chosen by the {@code l2c.test.runner} system
 * property that the Maven build sets: DirectRunner by default, FlinkRunner (embedded local cluster,
 * parallelism 2) under -Pflink. The tests never name a runner class, so the same test source runs
 * on both.
 */
public final class TestRunner {
  public static final String PROPERTY = "l2c.test.runner";

  private TestRunner() {}

  public static String name() {
    return System.getProperty(PROPERTY, "DirectRunner");
  }

  public static boolean isFlink() {
    return name().equals("FlinkRunner");
  }

  /** Command-line style runner arguments, for pipelines that parse their options from args. */
  public static List<String> args() {
    List<String> args = new ArrayList<>();
    args.add("--runner=" + name());
    if (isFlink()) {
      args.add("--flinkMaster=[local]");
      args.add("--parallelism=2");
    }
    return args;
  }

  /** Options for the chosen runner, as {@code type}. */
  public static <T extends PipelineOptions> T options(Class<T> type, String... extraArgs) {
    List<String> all = new ArrayList<>(args());
    all.addAll(List.of(extraArgs));
    return PipelineOptionsFactory.fromArgs(all.toArray(new String[0])).withValidation().as(type);
  }

  public static PipelineOptions options() {
    return options(PipelineOptions.class);
  }
}
