package org.l2cbeam.pipelines.retrain;

import com.google.gson.GsonBuilder;
import java.io.Serializable;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.values.PCollectionView;
import org.l2cbeam.beam.ArtifactFile;
import org.l2cbeam.beam.FidResult;
import org.l2cbeam.beam.ModelRef;
import org.l2cbeam.beam.ResolveRouter;
import org.l2cbeam.core.io.AtomicFile;
import org.l2cbeam.core.router.RouterArtifact;
import org.l2cbeam.registry.PublishResult;
import org.l2cbeam.registry.RouterKey;
import org.l2cbeam.registry.RouterRegistry;
import org.l2cbeam.registry.WarmStartOrigin;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The retrain pipeline's decision and its record: the quality gate, the publish, and the report
 * ({@value #JSON} for machines, {@value #MARKDOWN} for people) with both FIDs, both θs, the MACs
 * each removed, the decision and the versions.
 */
final class RetrainReport {
  static final String JSON = "retrain-report.json";
  static final String MARKDOWN = "retrain-report.md";

  /** How a retraining run ended. */
  enum Decision {
    /** The candidate passed the gate and is the new latest. */
    PUBLISHED,
    /** The candidate passed the gate but its bytes are already stored: nothing was written. */
    UNCHANGED,
    /** The candidate failed the gate: nothing was written. */
    REJECTED,
    /** The candidate passed the gate but the latest moved during the run: stored, not published. */
    CONFLICT
  }

  private RetrainReport() {}

  /**
   * The options the report records, captured at construction (workers do not see pipeline options'
   * types).
   */
  record Settings(
      String output,
      double macsRemoved,
      double tolerance,
      int probeCount,
      int probeClasses,
      long probeSeed,
      double cfgScale,
      String referenceStats,
      String extractor,
      String vae,
      String data,
      boolean warmStart)
      implements Serializable {
    static Settings of(RetrainOptions o) {
      return new Settings(
          o.getOutput(),
          o.getProbeMacsRemoved(),
          o.getTolerance(),
          o.getProbeCount(),
          o.getProbeClasses(),
          o.getProbeSeed(),
          o.getProbeCfgScale(),
          o.getReferenceStats(),
          o.getExtractor(),
          o.getVae() == null || o.getVae().isBlank() ? null : o.getVae(),
          o.getData(),
          o.getWarmStart());
    }
  }

  /**
   * FID differences this small are rounding, not quality: the feature statistics are merged in
   * whatever order the runner delivers them, which moves an FID in its ninth significant digit (the
   * same images scored twice gave 92.58593920 and 92.58593917).
   */
  static final double ROUNDING = 1e-6;

  /**
   * True if the candidate may replace the current router: its FID is at most the current's plus the
   * tolerance (and the rounding of FID itself, relative to the current FID). NaN anywhere fails.
   */
  static boolean passesGate(double candidateFid, double currentFid, double tolerance) {
    return candidateFid <= currentFid + tolerance + ROUNDING * Math.max(1.0, Math.abs(currentFid));
  }

  /**
   * Takes the decision for the registry location it receives, publishes, writes the report, outputs
   * its files.
   */
  static final class GateFn extends DoFn<String, String> {
    private static final Logger LOG = LoggerFactory.getLogger(RetrainPipeline.class);
    private final PCollectionView<ModelRef> model;
    private final PCollectionView<RouterArtifact> candidate;
    private final PCollectionView<RouterArtifact> current;
    private final PCollectionView<FidResult> candidateFid;
    private final PCollectionView<FidResult> currentFid;
    private final Settings settings;

    GateFn(
        PCollectionView<ModelRef> model,
        PCollectionView<RouterArtifact> candidate,
        PCollectionView<RouterArtifact> current,
        PCollectionView<FidResult> candidateFid,
        PCollectionView<FidResult> currentFid,
        Settings settings) {
      this.model = model;
      this.candidate = candidate;
      this.current = current;
      this.candidateFid = candidateFid;
      this.currentFid = currentFid;
      this.settings = settings;
    }

    @ProcessElement
    public void process(ProcessContext c) {
      String registryLocation = c.element();
      ModelRef ref = c.sideInput(model);
      RouterArtifact cand = c.sideInput(candidate);
      RouterArtifact cur = c.sideInput(current);
      FidResult fc = c.sideInput(candidateFid);
      FidResult fl = c.sideInput(currentFid);
      int currentVersion = ResolveRouter.registryVersion(cur);
      RouterKey key = RouterKey.of(cand);
      if (!key.modelSha256().equals(ref.fingerprint())) {
        throw new IllegalStateException(
            "retrain: the candidate was trained for model sha256 "
                + key.modelSha256()
                + ", but the model is "
                + ref.fingerprint());
      }

      Decision decision;
      PublishResult published = null;
      String reason;
      // The current router as stored: a registry version's bytes, or (nothing published yet) the
      // candidate itself.
      String currentSha =
          currentVersion == 0 ? RouterRegistry.routerSha256(cur) : cur.provenance().sourceSha256;
      boolean sameRouter = RouterRegistry.routerSha256(cand).equals(currentSha);
      if (!sameRouter && !passesGate(fc.fid(), fl.fid(), settings.tolerance())) {
        decision = Decision.REJECTED;
        reason =
            String.format(
                Locale.ROOT,
                "FID(candidate) %.4f > FID(%s) %.4f + tolerance %.4f",
                fc.fid(),
                currentVersion == 0 ? "candidate" : "v" + currentVersion,
                fl.fid(),
                settings.tolerance());
      } else {
        published =
            RouterRegistry.open(registryLocation)
                .publish(cand, currentVersion, metrics(fc, fl, currentVersion));
        switch (published.outcome()) {
          case PUBLISHED:
            decision = Decision.PUBLISHED;
            break;
          case ALREADY_STORED:
            decision = Decision.UNCHANGED;
            break;
          default:
            decision = Decision.CONFLICT;
        }
        String judged =
            sameRouter
                ? (currentVersion == 0
                    ? "nothing published yet"
                    : "the candidate is v" + currentVersion + " itself")
                : String.format(
                    Locale.ROOT,
                    "FID(candidate) %.4f <= FID(v%d) %.4f + tolerance %.4f",
                    fc.fid(),
                    currentVersion,
                    fl.fid(),
                    settings.tolerance());
        reason = judged + "; " + published.describe();
      }
      LOG.info("retrain: {}: {}", decision, reason);

      Map<String, Object> report =
          report(registryLocation, key, decision, reason, published, currentVersion, cand, fc, fl);
      String json =
          new GsonBuilder()
                  .setPrettyPrinting()
                  .serializeNulls()
                  .disableHtmlEscaping()
                  .serializeSpecialFloatingPointValues()
                  .create()
                  .toJson(report)
              + "\n";
      String markdown = markdown(report, fc, fl, currentVersion);
      Map<String, AtomicFile.Writer> files = new LinkedHashMap<>();
      files.put(
          ArtifactFile.join(settings.output(), JSON),
          o -> o.write(json.getBytes(StandardCharsets.UTF_8)));
      files.put(
          ArtifactFile.join(settings.output(), MARKDOWN),
          o -> o.write(markdown.getBytes(StandardCharsets.UTF_8)));
      ArtifactFile.writeAll(files);
      for (String f : files.keySet()) c.output(f);
    }

    private Map<String, Object> metrics(FidResult fc, FidResult fl, int currentVersion) {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("fid", fc.fid());
      m.put("fidImages", fc.imageCount());
      m.put("theta", fc.theta());
      m.put("macsRemoved", fc.macsRemoved());
      m.put("macsBudget", settings.macsRemoved());
      m.put("judgedAgainst", currentVersion == 0 ? null : currentVersion);
      m.put("judgedAgainstFid", currentVersion == 0 ? null : fl.fid());
      m.put("extractor", fc.extractor());
      m.put("reference", fc.reference());
      return m;
    }

    private Map<String, Object> report(
        String registry,
        RouterKey key,
        Decision decision,
        String reason,
        PublishResult published,
        int currentVersion,
        RouterArtifact cand,
        FidResult fc,
        FidResult fl) {
      Map<String, Object> r = new LinkedHashMap<>();
      r.put("pipeline", "retrain");
      r.put("decision", decision.name());
      r.put("reason", reason);
      r.put("registry", registry);
      Map<String, Object> k = new LinkedHashMap<>();
      k.put("modelSha256", key.modelSha256());
      k.put("sampler", key.sampler());
      k.put("steps", key.steps());
      r.put("key", k);
      r.put("version", published == null ? null : published.version());
      r.put(
          "latest",
          published == null
              ? (currentVersion == 0 ? null : currentVersion)
              : (published.latest() == 0 ? null : published.latest()));
      r.put(
          "gate",
          Map.of(
              "rule",
              "FID(candidate) <= FID(current) + tolerance",
              "tolerance",
              settings.tolerance(),
              "macsBudget",
              settings.macsRemoved()));
      Map<String, Object> candidateSide = side(fc);
      candidateSide.put("routerSha256", RouterRegistry.routerSha256(cand));
      WarmStartOrigin origin = WarmStartOrigin.fromTraining(cand.provenance().training);
      candidateSide.put("warmStartRequested", settings.warmStart());
      candidateSide.put("warmStart", origin == null ? null : origin.toMap());
      r.put("candidate", candidateSide);
      Map<String, Object> cur = side(fl);
      cur.put("version", currentVersion == 0 ? null : currentVersion);
      r.put("current", cur);
      Map<String, Object> probes = new LinkedHashMap<>();
      probes.put("count", settings.probeCount());
      probes.put("classes", settings.probeClasses());
      probes.put("firstSeed", settings.probeSeed());
      probes.put("cfgScale", settings.cfgScale());
      probes.put("referenceStats", settings.referenceStats());
      probes.put("extractor", settings.extractor());
      probes.put("vae", settings.vae());
      r.put("probes", probes);
      r.put("trainingData", settings.data());
      return r;
    }
  }

  private static Map<String, Object> side(FidResult f) {
    Map<String, Object> s = new LinkedHashMap<>();
    s.put("fid", f.fid());
    s.put("theta", f.theta());
    s.put("macsRemoved", f.macsRemoved());
    s.put("scheduleId", f.scheduleId());
    s.put("images", f.imageCount());
    return s;
  }

  static String markdown(
      Map<String, Object> report, FidResult fc, FidResult fl, int currentVersion) {
    StringBuilder md = new StringBuilder();
    md.append("# Router retraining: ").append(report.get("decision")).append("\n\n");
    md.append(report.get("reason")).append("\n\n");
    md.append("| | FID | θ | MACs removed | schedule |\n|---|---|---|---|---|\n");
    md.append(row("candidate", fc));
    md.append(
        row(
            currentVersion == 0 ? "current (none published)" : "current (v" + currentVersion + ")",
            fl));
    Map<?, ?> candidate = (Map<?, ?>) report.get("candidate");
    Map<?, ?> warm = (Map<?, ?>) candidate.get("warmStart");
    md.append("\nCandidate trained from ")
        .append(
            warm == null
                ? (Boolean.TRUE.equals(candidate.get("warmStartRequested"))
                    ? "the seed's routers (warm start asked for, nothing published yet)"
                    : "the seed's routers")
                : (warm.get("version") == null ? warm.get("router") : "v" + warm.get("version"))
                    + " (warm start)")
        .append(".");
    md.append(" Registry: `")
        .append(report.get("registry"))
        .append("`; version: ")
        .append(report.get("version") == null ? "none written" : "v" + report.get("version"))
        .append("; latest: ")
        .append(report.get("latest") == null ? "none" : "v" + report.get("latest"))
        .append(".\n");
    return md.toString();
  }

  private static String row(String name, FidResult f) {
    return String.format(
        Locale.ROOT,
        "| %s | %.4f | %.4g | %.3f | `%s` |%n",
        name,
        f.fid(),
        f.theta(),
        f.macsRemoved(),
        f.scheduleId());
  }
}
