package org.l2cbeam.pipelines;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.l2cbeam.pipelines.benchmark.BenchmarkOptions;
import org.l2cbeam.pipelines.benchmark.BenchmarkPipeline;
import org.l2cbeam.pipelines.evaluate.EvaluateOptions;
import org.l2cbeam.pipelines.evaluate.EvaluatePipeline;
import org.l2cbeam.pipelines.sample.SampleOptions;
import org.l2cbeam.pipelines.sample.SamplePipeline;
import org.l2cbeam.pipelines.trainrouter.TrainRouterOptions;
import org.l2cbeam.pipelines.trainrouter.TrainRouterPipeline;

/**
 * The runnable pipelines by name, each with its options interface and builder: what {@code l2c pipeline NAME} and
 * the Flex Templates launch. Arguments are Beam's {@code --name=value}; the CLI's kebab-case spelling
 * ({@code --cfg-scale 1.5}) is accepted too.
 */
public final class PipelineLauncher {
  /** One pipeline: its options type and how to build it from parsed options. */
  public static final class Entry<T extends PipelineOptions> {
    public final String name;
    public final Class<T> options;
    private final Function<T, Pipeline> builder;

    Entry(String name, Class<T> options, Function<T, Pipeline> builder) {
      this.name = name;
      this.options = options;
      this.builder = builder;
    }

    public Pipeline build(PipelineOptions o) {
      return builder.apply(o.as(options));
    }
  }

  private static final Map<String, Entry<?>> PIPELINES = new LinkedHashMap<>();

  static {
    register(new Entry<>("sample", SampleOptions.class, SamplePipeline::build));
    register(new Entry<>("evaluate", EvaluateOptions.class, EvaluatePipeline::build));
    register(new Entry<>("train-router", TrainRouterOptions.class, TrainRouterPipeline::build));
    register(new Entry<>("benchmark", BenchmarkOptions.class, BenchmarkPipeline::build));
  }

  private static void register(Entry<?> e) {
    PIPELINES.put(e.name, e);
  }

  private PipelineLauncher() {}

  public static Map<String, Entry<?>> pipelines() {
    return PIPELINES;
  }

  public static Entry<?> entry(String name) {
    Entry<?> e = PIPELINES.get(name);
    if (e == null) {
      throw new IllegalArgumentException("unknown pipeline '" + name + "'; known: " + PIPELINES.keySet());
    }
    return e;
  }

  /** Parses {@code args} for pipeline {@code name} (DirectRunner unless --runner says otherwise). */
  public static PipelineOptions options(String name, List<String> args) {
    Entry<?> e = entry(name);
    List<String> beamArgs = beamStyle(args);
    for (String a : beamArgs) {
      if (a.startsWith("--runner=") && a.contains("Flink") && !flinkOnClasspath()) {
        throw new IllegalArgumentException(
            "--runner=FlinkRunner: the Flink runner is not on this build's classpath; Beam's Flink runner exists for"
                + " Beam 2.62.0 only, so build with the flink profile: L2C_MAVEN_ARGS=-Pflink ./l2c pipeline ...");
      }
    }
    // Not PipelineOptionsFactory.register: that is JVM-global, and Beam then demands consistent annotations across
    // all registered interfaces (sample's --batchSize defaults to 8, evaluate's to 50).
    return PipelineOptionsFactory.fromArgs(beamArgs.toArray(new String[0])).withValidation().as(e.options);
  }

  public static PipelineResult run(String name, List<String> args) {
    PipelineOptions o = options(name, args);
    Pipeline p = entry(name).build(o);
    PipelineResult result = p.run();
    result.waitUntilFinish();
    return result;
  }

  /**
   * Builds and starts pipeline {@code name} without waiting for it (DirectRunner gets {@code --blockOnRun=false}), for
   * callers that watch its progress.
   */
  public static PipelineResult start(String name, List<String> args) {
    List<String> all = new ArrayList<>(args);
    boolean direct = all.stream().noneMatch(a -> a.startsWith("--runner=")) || all.contains("--runner=DirectRunner");
    if (direct && all.stream().noneMatch(a -> a.startsWith("--blockOnRun"))) all.add("--blockOnRun=false");
    PipelineOptions o = options(name, all);
    return entry(name).build(o).run();
  }

  /** {@code --cfg-scale 1.5} and {@code --cfg-scale=1.5} become {@code --cfgScale=1.5}. */
  static List<String> beamStyle(List<String> args) {
    List<String> out = new ArrayList<>();
    for (int i = 0; i < args.size(); i++) {
      String a = args.get(i);
      if (!a.startsWith("--")) {
        throw new IllegalArgumentException("unexpected argument '" + a + "' (options are --name=value)");
      }
      String name = a.substring(2);
      String value = null;
      int eq = name.indexOf('=');
      if (eq >= 0) {
        value = name.substring(eq + 1);
        name = name.substring(0, eq);
      } else if (i + 1 < args.size() && !args.get(i + 1).startsWith("--")) {
        value = args.get(++i);
      }
      out.add("--" + camel(name) + (value == null ? "" : "=" + value));
    }
    return out;
  }

  private static String camel(String kebab) {
    StringBuilder sb = new StringBuilder();
    boolean up = false;
    for (char c : kebab.toCharArray()) {
      if (c == '-') {
        up = true;
      } else {
        sb.append(up ? Character.toUpperCase(c) : c);
        up = false;
      }
    }
    return sb.toString();
  }

  private static boolean flinkOnClasspath() {
    try {
      Class.forName("org.apache.beam.runners.flink.FlinkRunner");
      return true;
    } catch (ClassNotFoundException e) {
      return false;
    }
  }
}
