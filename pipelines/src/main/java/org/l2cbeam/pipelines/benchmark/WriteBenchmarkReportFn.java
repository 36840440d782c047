package org.l2cbeam.pipelines.benchmark;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollectionView;
import org.l2cbeam.beam.ModelRef;
import org.l2cbeam.beam.Routers;
import org.l2cbeam.beam.SharedModels;
import org.l2cbeam.core.model.DiffusionTransformer;
import org.l2cbeam.core.router.CacheSchedule;
import org.l2cbeam.core.router.ModelFamily;
import org.l2cbeam.core.router.RouterArtifact;
import org.l2cbeam.core.router.ThetaSearch;
import org.l2cbeam.core.router.UnitMacs;
import org.l2cbeam.pipelines.report.BenchmarkReport;
import org.l2cbeam.pipelines.report.Estimate;
import org.l2cbeam.pipelines.report.FrontierChart;
import org.l2cbeam.pipelines.report.Measurement;
import org.l2cbeam.pipelines.report.ReportJson;
import org.l2cbeam.pipelines.report.ReportMarkdown;
import org.l2cbeam.pipelines.report.RouterHeatmapChart;
import org.l2cbeam.pipelines.report.SettingResult;

/**
 * Turns every setting's outcome into the benchmark's report: MACs per image from each setting's
 * schedule (θ chosen from the router, learned or not, exactly as {@code CachedSample} chose it),
 * latency from the summed model time, the FID of each request set and their mean; then {@code
 * report.json}, {@code report.md}, {@code fid-vs-latency.png} and, with a learned router, {@code
 * router-heatmap.png}.
 */
final class WriteBenchmarkReportFn
    extends DoFn<KV<Void, Iterable<KV<String, SettingOutcome>>>, String> {
  static final String JSON = "report.json";
  static final String MARKDOWN = "report.md";
  static final String FRONTIER = "fid-vs-latency.png";
  static final String HEATMAP = "router-heatmap.png";

  private final OutputFolder out;
  private final List<BenchmarkSetting> settings;
  private final PCollectionView<ModelRef> modelView;
  private final Map<Integer, PCollectionView<RouterArtifact>> routerViews;
  private final Measurement measurement;
  private final RequestSets requestSets;
  private final int batchSize;
  private final List<String> runNotes;

  WriteBenchmarkReportFn(
      OutputFolder out,
      List<BenchmarkSetting> settings,
      PCollectionView<ModelRef> modelView,
      Map<Integer, PCollectionView<RouterArtifact>> routerViews,
      Measurement measurement,
      RequestSets requestSets,
      int batchSize,
      List<String> runNotes) {
    this.out = out;
    this.settings = List.copyOf(settings);
    this.modelView = modelView;
    this.routerViews = new java.util.LinkedHashMap<>(routerViews);
    this.measurement = measurement;
    this.requestSets = requestSets;
    this.batchSize = batchSize;
    this.runNotes = List.copyOf(runNotes);
  }

  @ProcessElement
  public void process(ProcessContext c) {
    Map<String, SettingOutcome> outcomes = new HashMap<>();
    for (KV<String, SettingOutcome> kv : c.element().getValue())
      outcomes.put(kv.getKey(), kv.getValue());
    ModelRef ref = c.sideInput(modelView);
    DiffusionTransformer loaded = SharedModels.model(ref);
    UnitMacs macs = loaded.macs();
    ModelFamily family = ref.family();
    String sampler = family == ModelFamily.DIT ? "DDIM" : "DPM-Solver";
    double forwardsPerStep =
        measurement.cfgScale() > 1.0
            ? 2
            : 1; // CFG doubles every forward (DiT's batch, U-ViT's calls)

    List<SettingResult> rows = new ArrayList<>();
    List<String> notes = new ArrayList<>();
    Double heatmapTheta = null;
    for (BenchmarkSetting s : settings) {
      SettingOutcome o = outcomes.get(s.name());
      if (o == null || !o.isComplete()) {
        throw new IllegalStateException(
            "benchmark: setting " + s.name() + " produced no samples or no FID");
      }
      CacheSchedule schedule =
          CacheSchedule.allCompute(family.pairing().scheduleRows(s.steps()), loaded.units());
      Double theta = null;
      String label = sampler + "-" + s.steps();
      if (s.method() == SettingMethod.L2C) {
        RouterArtifact router = c.sideInput(routerViews.get(s.steps()));
        ThetaSearch.Choice choice = Routers.choose(router, macs, null, s.macsRemoved());
        schedule = choice.schedule();
        theta = choice.theta();
        label = String.format(Locale.ROOT, "%s-%d + L2C θ=%.3g", sampler, s.steps(), theta);
        notes.add(
            String.format(
                Locale.ROOT,
                "%s: θ chosen for %.0f%% of the run's MACs removed; its schedule removes %.1f%%.",
                label,
                100 * s.macsRemoved(),
                100 * choice.removedFraction()));
        if (heatmapTheta == null && s.steps() == settings.get(0).steps()) heatmapTheta = theta;
      } else if (s.isCached()) {
        RouterArtifact uniform =
            BenchmarkPipeline.uniformRouter(ref, s.method().uniform(), s.steps());
        ThetaSearch.Choice choice = Routers.choose(uniform, macs, null, s.macsRemoved());
        schedule = choice.schedule();
        label =
            String.format(
                Locale.ROOT,
                "%s-%d + %s %.0f%%",
                sampler,
                s.steps(),
                s.method().uniform().label(),
                100 * s.macsRemoved());
        notes.add(
            String.format(
                Locale.ROOT,
                "%s: not learned (%s); removes %.1f%% of the run's MACs.",
                label,
                s.method() == SettingMethod.SAME_UNITS
                    ? "the same units at every cache step, cheapest first"
                    : "every unit at cache steps spread over the run",
                100 * choice.removedFraction()));
      }
      List<Double> fids = java.util.Arrays.stream(o.fidPerSet()).boxed().toList();
      rows.add(
          new SettingResult(
              s.name(),
              label,
              s.method().id(),
              s.steps(),
              theta,
              forwardsPerStep * macs.run(schedule),
              o.computeMicros() / 1e6 / o.images(),
              Estimate.of(fids).mean(),
              (int) (o.images() / requestSets.sets()),
              s.baseline(),
              fids,
              s.partner()));
    }
    for (String note : runNotes) notes.add(note + ".");
    notes.add(
        "Latency: model time per image (sampler only, noise to uint8 image), batch "
            + batchSize
            + ", one model call at a time per worker, runner "
            + c.getPipelineOptions().getRunner().getSimpleName()
            + ", "
            + Runtime.getRuntime().availableProcessors()
            + " cores.");
    BenchmarkReport report =
        new BenchmarkReport(
            "L2C benchmark: " + measurement.model(),
            measurement.model(),
            measurement.referenceStats(),
            measurement.cfgScale(),
            measurement.requests(),
            "Beam " + c.getPipelineOptions().getRunner().getSimpleName(),
            notes,
            rows,
            measurement.conditions());
    byte[] json = ReportJson.render(report).getBytes(StandardCharsets.UTF_8);
    byte[] markdown = ReportMarkdown.render(report).getBytes(StandardCharsets.UTF_8);
    out.write(JSON, o -> o.write(json));
    out.write(MARKDOWN, o -> o.write(markdown));
    out.write(FRONTIER, o -> FrontierChart.write(o, report));
    c.output(out.file(JSON));
    c.output(out.file(MARKDOWN));
    c.output(out.file(FRONTIER));
    if (routerViews.isEmpty()) return; // no learned router, no heat map
    int main = settings.get(0).steps();
    RouterArtifact mainRouter = c.sideInput(routerViews.get(main));
    RouterHeatmapChart.Input heatmap =
        RouterHeatmapChart.of(
            mainRouter.scores(),
            "Learned " + sampler + "-" + main + " router, " + measurement.model(),
            heatmapTheta);
    out.write(HEATMAP, o -> RouterHeatmapChart.write(o, heatmap));
    c.output(out.file(HEATMAP));
  }
}
