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
import org.l2cbeam.pipelines.retrain.RetrainOptions;
import org.l2cbeam.pipelines.retrain.RetrainPipeline;
import org.l2cbeam.pipelines.sample.SampleOptions;
import org.l2cbeam.pipelines.sample.SamplePipeline;
import org.l2cbeam.pipelines.trainrouter.TrainRouterOptions;
import org.l2cbeam.pipelines.trainrouter.TrainRouterPipeline;

/**
 * The runnable pipelines by name, each with its options interface and builder: what {@code l2c
 * pipeline NAME} and the Flex Templates launch. Arguments are Beam's {@code --name=value}; the
 * CLI's kebab-case spelling ({@code --cfg-scale 1.5}) is accepted too.
 */
public final class PipelineLauncher {
  /**
   * One pipeline: its options type, how to build it from parsed options, and the files it
   * publishes.
   */
  public static final class Entry<T extends PipelineOptions> {
    public final String name;
    public final Class<T> options;
    private final Function<T, Pipeline> builder;
    private final Function<T, PipelineOutputs> outputs;

    Entry(
        String name,
        Class<T> options,
        Function<T, Pipeline> builder,
        Function<T, PipelineOutputs> outputs) {
      this.name = name;
      this.options = options;
      this.builder = builder;
      this.outputs = outputs;
    }

    public Pipeline build(PipelineOptions o) {
      return builder.apply(o.as(options));
    }

    public PipelineOutputs outputs(PipelineOptions o) {
      return outputs.apply(o.as(options));
    }
  }

  private static final Map<String, Entry<?>> PIPELINES = new LinkedHashMap<>();

  static {
    register(
        new Entry<>("sample", SampleOptions.class, SamplePipeline::build, SamplePipeline::outputs));
    register(
        new Entry<>(
            "evaluate", EvaluateOptions.class, EvaluatePipeline::build, EvaluatePipeline::outputs));
    register(
        new Entry<>(
            "train-router",
            TrainRouterOptions.class,
            TrainRouterPipeline::build,
            TrainRouterPipeline::outputs));
    register(
        new Entry<>(
            "benchmark",
            BenchmarkOptions.class,
            BenchmarkPipeline::build,
            BenchmarkPipeline::outputs));
    register(
        new Entry<>(
            "retrain", RetrainOptions.class, RetrainPipeline::build, RetrainPipeline::outputs));
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
      throw new IllegalArgumentException(
          "unknown pipeline '" + name + "'; known: " + PIPELINES.keySet());
    }
    return e;
  }

  /**
   * Parses {@code args} for pipeline {@code name} (DirectRunner unless --runner says otherwise).
   */
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
    // Not PipelineOptionsFactory.register: that is JVM-global, and Beam then demands consistent
    // annotations across
    // all registered interfaces (sample's --batchSize defaults to 8, evaluate's to 50).
    PipelineOptions o =
        PipelineOptionsFactory.fromArgs(beamArgs.toArray(new String[0]))
            .withValidation()
            .as(e.options);
    checkFinite(o.as(e.options), e.options);
    return o;
  }

  /**
   * Runs pipeline {@code name} to the end: options and outputs checked first, the success marker
   * written last (see {@link PipelineOutputs}); a failed run leaves no marker and none of its
   * files.
   */
  public static PipelineResult run(String name, List<String> args) {
    PipelineResult result = launch(name, args);
    result.waitUntilFinish();
    return result;
  }

  /**
   * Builds and starts pipeline {@code name} without waiting for it (DirectRunner gets {@code
   * --blockOnRun=false}), for callers that watch its progress; the success marker is written (or
   * the run's files removed) when a {@code waitUntilFinish} of the returned result sees the run
   * end.
   */
  public static PipelineResult start(String name, List<String> args) {
    List<String> all = new ArrayList<>(args);
    boolean direct =
        all.stream().noneMatch(a -> a.startsWith("--runner="))
            || all.contains("--runner=DirectRunner");
    if (direct && all.stream().noneMatch(a -> a.startsWith("--blockOnRun")))
      all.add("--blockOnRun=false");
    return launch(name, all);
  }

  private static PipelineResult launch(String name, List<String> args) {
    PipelineOptions o = options(name, args);
    Entry<?> e = entry(name);
    Pipeline p = e.build(o);
    PipelineOutputs outputs = e.outputs(o);
    outputs.prepare();
    return PublishingResult.run(p, outputs);
  }

  /**
   * The finite-value rule for pipeline options: every {@code double} option is a finite number,
   * whatever transform reads it; the error names the option as the command line spells it.
   */
  private static void checkFinite(PipelineOptions o, Class<? extends PipelineOptions> type) {
    for (java.lang.reflect.Method m : type.getMethods()) {
      boolean number = m.getReturnType() == double.class || m.getReturnType() == Double.class;
      if (!number || m.getParameterCount() != 0 || !m.getName().startsWith("get")) continue;
      Object v;
      try {
        v = m.invoke(o);
      } catch (ReflectiveOperationException ex) {
        continue;
      }
      if (v != null && !Double.isFinite((Double) v)) {
        String option = m.getName().substring(3);
        throw new IllegalArgumentException(
            "--"
                + kebab(Character.toLowerCase(option.charAt(0)) + option.substring(1))
                + ": "
                + v
                + " is not a finite number");
      }
    }
  }

  private static String kebab(String camel) {
    return camel.replaceAll("([A-Z])", "-$1").toLowerCase(java.util.Locale.ROOT);
  }

  /**
   * The option names {@code args} set, in Beam's spelling ({@code --cfg-scale 1.5} gives {@code
   * cfgScale}).
   */
  public static List<String> optionNames(List<String> args) {
    List<String> names = new ArrayList<>();
    for (String a : beamStyle(args)) {
      int eq = a.indexOf('=');
      names.add(eq < 0 ? a.substring(2) : a.substring(2, eq));
    }
    return names;
  }

  /** {@code --cfg-scale 1.5} and {@code --cfg-scale=1.5} become {@code --cfgScale=1.5}. */
  static List<String> beamStyle(List<String> args) {
    List<String> out = new ArrayList<>();
    for (int i = 0; i < args.size(); i++) {
      String a = args.get(i);
      if (!a.startsWith("--")) {
        throw new IllegalArgumentException(
            "unexpected argument '" + a + "' (options are --name=value)");
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
