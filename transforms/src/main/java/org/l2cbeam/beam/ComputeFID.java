package org.l2cbeam.beam;

import static org.l2cbeam.beam.ArgumentChecks.checkArgument;
import static org.l2cbeam.beam.ArgumentChecks.checkNotNull;

import com.google.auto.value.AutoValue;
import java.io.ByteArrayOutputStream;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.metrics.Distribution;
import org.apache.beam.sdk.metrics.Metrics;
import org.apache.beam.sdk.transforms.Combine;
import org.apache.beam.sdk.transforms.Distinct;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.MapElements;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.View;
import org.apache.beam.sdk.transforms.display.DisplayData;
import org.apache.beam.sdk.transforms.windowing.BoundedWindow;
import org.apache.beam.sdk.transforms.windowing.GlobalWindows;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionView;
import org.apache.beam.sdk.values.TypeDescriptors;
import org.checkerframework.checker.nullness.qual.Nullable;
import org.joda.time.Instant;
import org.l2cbeam.core.fid.FeatureExtractor;
import org.l2cbeam.core.fid.FeatureStats;
import org.l2cbeam.core.fid.FidStats;
import org.l2cbeam.core.fid.FrechetDistance;
import org.l2cbeam.core.image.ImageBatch;
import org.l2cbeam.core.io.NpyHeader;
import org.l2cbeam.core.io.NpzFile;
import org.l2cbeam.core.runtime.ComputeDevice;
import org.l2cbeam.core.runtime.Torch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Fréchet Inception Distance of a set of images against reference statistics: {@code
 * PCollection<GeneratedSample>} (or, through {@link #onImages()}, {@code PCollection<ImageBatch>})
 * to one {@link FidResult} per window.
 *
 * <pre>{@code
 * PCollection<FidResult> fid =
 *     samples.apply(ComputeFID.against("builtin:fmnist-test-stats"));             // Fashion-MNIST feature net
 * PCollection<FidResult> fid =
 *     samples.apply(ComputeFID.against("VIRTUAL_imagenet256_labeled.npz")
 *         .withExtractor(FidExtractor.INCEPTION).withWeights("gs://b/pt_inception-2015-12-05-6726825d.pth"));
 * }</pre>
 *
 * <ul>
 *   <li>Features: each bundle featurises its images in batches of {@link #withBatchSize} with a
 *       feature network loaded once per worker JVM and shared by all DoFn instances and threads
 *       ({@link SharedModels}, keyed by the weights' fingerprint), grad mode off. 32x32
 *       Fashion-MNIST samples are center-cropped to 28x28 as the model card says.
 *   <li>Statistics: every bundle folds its features into core's mergeable {@link FeatureStats}; the
 *       partials merge through {@link FeatureStatsCombineFn}. Its compensated sums make the FID the
 *       same bit for bit however the runner bundles and merges (an image's features do not depend
 *       on its batch either, see below).
 *   <li>Checked at construction: the extractor kind and the batch size. Files are read when the
 *       pipeline is built ({@code expand}), as Beam's file-based transforms validate: the reference
 *       statistics exist and are a stats file of the extractor's feature dimension, the weights
 *       have the extractor's keys and shapes, and the VAE is a VAE. {@link #withoutValidation()}
 *       leaves all three to the workers (e.g. when the machine that builds the pipeline cannot read
 *       them); a bad file then fails the run, naming it.
 *   <li>Metrics ({@code org.l2cbeam.beam.ComputeFID}): {@code imagesFeaturised}, {@code
 *       featurisingMicros} (images/s = imagesFeaturised / featurisingMicros × 1e6), {@code
 *       imagesPerSecond} (per batch), {@code batchMillis} and {@code paddingImages} (filler images
 *       of short end-of-bundle batches: feed elements of {@code batchSize} images, e.g. {@code
 *       ReadImages.withChunkSize}, to keep it at 0).
 * </ul>
 *
 * <p>{@link FidResult#extractor()} is the weights location for {@code fmnist} (e.g. {@code
 * builtin:fmnist-features}) and {@code inception:WEIGHTS} for Inception.
 */
@AutoValue
public abstract class ComputeFID
    extends PTransform<PCollection<GeneratedSample>, PCollection<FidResult>> {
  private static final long serialVersionUID = 1L;
  static final int DEFAULT_BATCH_SIZE = 50;
  static final String AGAINST = "ComputeFID.against (reference stats)";

  abstract String referenceStats();

  abstract String extractorKind();

  abstract @Nullable String weights();

  abstract int batchSize();

  abstract @Nullable VaeRef vae();

  abstract String label();

  abstract @Nullable ComputeDevice device();

  abstract boolean validate();

  abstract Builder toBuilder();

  @AutoValue.Builder
  abstract static class Builder {
    abstract Builder setReferenceStats(String location);

    abstract Builder setExtractorKind(String kind);

    abstract Builder setWeights(@Nullable String weights);

    abstract Builder setBatchSize(int batchSize);

    abstract Builder setVae(@Nullable VaeRef vae);

    abstract Builder setLabel(String label);

    abstract Builder setDevice(@Nullable ComputeDevice device);

    abstract Builder setValidate(boolean validate);

    abstract ComputeFID build();
  }

  /**
   * FID against the statistics at {@code referenceStats}: an {@code .npz} with {@code mu} and
   * {@code sigma} (pytorch-fid's, an ADM reference batch, {@code l2c fid stats} output, or {@code
   * builtin:fmnist-test-stats}); a local path, {@code builtin:NAME} or a Beam {@code FileSystems}
   * URI. Read when the pipeline is built (see {@link #withoutValidation()}).
   */
  public static ComputeFID against(String referenceStats) {
    checkArgument(
        referenceStats != null && !referenceStats.isBlank(), AGAINST + ": no location given");
    return new AutoValue_ComputeFID.Builder()
        .setReferenceStats(referenceStats)
        .setExtractorKind("fmnist")
        .setWeights(null)
        .setBatchSize(DEFAULT_BATCH_SIZE)
        .setLabel("")
        .setValidate(true)
        .build();
  }

  /**
   * A name for what is measured, e.g. {@code DDIM-20 + L2C 25%}, recorded in the {@link FidResult}.
   */
  public ComputeFID withLabel(String label) {
    return toBuilder()
        .setLabel(checkNotNull(label, "ComputeFID.withLabel: the label is null"))
        .build();
  }

  /**
   * {@link FidExtractor#FMNIST} (default: the bundled Fashion-MNIST net, 128-d) or {@link
   * FidExtractor#INCEPTION} (pytorch-fid's, 2048-d).
   */
  public ComputeFID withExtractor(FidExtractor extractor) {
    checkNotNull(extractor, "ComputeFID.withExtractor: the extractor is null");
    return toBuilder().setExtractorKind(extractor.id()).build();
  }

  /**
   * The extractor by name, {@code fmnist} or {@code inception}, as the pipelines' {@code
   * --extractor} gives it.
   */
  public ComputeFID withExtractor(String kind) {
    try {
      return withExtractor(FidExtractor.parse(kind));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("ComputeFID.withExtractor: " + e.getMessage(), e);
    }
  }

  /**
   * The extractor's weights: for {@code inception}, pytorch-fid's {@code
   * pt_inception-2015-12-05-6726825d.pth} (never downloaded) or {@code hash:SEED} (deterministic
   * random weights, for tests and benchmarks); for {@code fmnist}, default {@code
   * builtin:fmnist-features}. Read, and its keys and shapes checked, when the pipeline is built
   * (see {@link #withoutValidation()}).
   */
  public ComputeFID withWeights(String weights) {
    checkArgument(
        weights != null && !weights.isBlank(), "ComputeFID.withWeights: no weights location given");
    return toBuilder().setWeights(weights).build();
  }

  /**
   * Images per feature-network call (default 50; a bundle's last call is padded to this size so
   * features do not depend on bundling). A memory/throughput knob: other sizes change the FID only
   * at float32 rounding (~1e-6).
   */
  public ComputeFID withBatchSize(int batchSize) {
    checkArgument(batchSize > 0, "ComputeFID.withBatchSize: must be positive, got %s", batchSize);
    return toBuilder().setBatchSize(batchSize).build();
  }

  /**
   * Decodes latent samples with this Stable-Diffusion VAE before featurising them, for latent
   * models sampled without {@code CachedSample.withVae}. Image samples pass through. Read and
   * checked when the pipeline is built (see {@link #withoutValidation()}).
   */
  public ComputeFID withVae(String location) {
    return toBuilder().setVae(VaeRef.at("ComputeFID.withVae", location)).build();
  }

  /**
   * Where the workers run the feature network (and the VAE): {@code ComputeDevice.parse("gpu",
   * ...)}, {@link ComputeDevice#CPU}, or {@link ComputeDevice#AUTO} (the first GPU a worker's
   * engine sees, else its CPU). Unset, each worker JVM's default ({@code -Dl2c.device}, itself
   * {@code auto} unless set). A worker asked for a GPU it does not see fails with one line naming
   * the device and the engine build. One copy of each network per device and worker JVM.
   */
  public ComputeFID withDevice(ComputeDevice device) {
    return toBuilder()
        .setDevice(checkNotNull(device, "ComputeFID.withDevice: device must not be null"))
        .build();
  }

  /**
   * Leaves the reference statistics, the extractor weights and the VAE to the workers: nothing is
   * read when the pipeline is built, and a missing or wrong file fails the pipeline when it runs,
   * naming the file (as Beam's {@code TextIO.Read.withoutValidation()}).
   */
  public ComputeFID withoutValidation() {
    return toBuilder().setValidate(false).build();
  }

  /**
   * The same computation over raw 8-bit images (e.g. from {@link ReadImages}) instead of generated
   * samples.
   */
  public Images onImages() {
    return new Images(this);
  }

  /**
   * {@link ComputeFID} over {@code PCollection<ImageBatch>}: each element is one or more NHWC uint8
   * images.
   */
  public static final class Images
      extends PTransform<PCollection<ImageBatch>, PCollection<FidResult>> {
    private static final long serialVersionUID = 1L;
    private final ComputeFID spec;

    private Images(ComputeFID spec) {
      this.spec = spec;
    }

    @Override
    public PCollection<FidResult> expand(PCollection<ImageBatch> images) {
      return spec.expandImages(images);
    }

    @Override
    public void populateDisplayData(DisplayData.Builder builder) {
      super.populateDisplayData(builder);
      spec.populateDisplayData(builder);
    }
  }

  @Override
  public PCollection<FidResult> expand(PCollection<GeneratedSample> samples) {
    VaeRef vae = vae() != null && validate() ? vae().resolve("ComputeFID.withVae") : vae();
    PCollection<ImageBatch> images =
        samples
            .apply("SampleImages", ParDo.of(new SampleToImageFn(vae, device())))
            .setCoder(ImageBatchCoder.of());
    PCollectionView<List<String>> scheduleIds =
        samples
            .apply(
                "ScheduleIds",
                MapElements.into(TypeDescriptors.strings()).via(GeneratedSample::scheduleId))
            .apply("DistinctScheduleIds", Distinct.create())
            .apply("ScheduleIdsView", View.asList());
    return expandImages(images, scheduleIds);
  }

  private PCollection<FidResult> expandImages(PCollection<ImageBatch> images) {
    return expandImages(images, null);
  }

  private PCollection<FidResult> expandImages(
      PCollection<ImageBatch> images, @Nullable PCollectionView<List<String>> scheduleIds) {
    FeatureExtractorRef extractor = extractor();
    if (validate()) {
      checkReferenceDimension(referenceStats(), referenceDimension(referenceStats()), extractor);
      extractor = extractor.resolve();
    }
    PCollection<FeatureStats> partials =
        images
            .apply("Featurise", ParDo.of(new FeaturiseFn(extractor, batchSize(), device())))
            .setCoder(FeatureStatsCoder.of());
    Combine.Globally<FeatureStats, FeatureStats> merge =
        Combine.globally(new FeatureStatsCombineFn(extractor.dim()));
    if (!(images.getWindowingStrategy().getWindowFn() instanceof GlobalWindows)) {
      merge = merge.withoutDefaults(); // no output for an empty non-global window
    }
    return partials
        .apply("MergeStats", merge)
        .setCoder(FeatureStatsCoder.of())
        .apply(
            "FrechetDistance",
            frechet(new FrechetFn(referenceStats(), extractor, label(), scheduleIds), scheduleIds))
        .setCoder(FidResultCoder.of());
  }

  /** The extractor as configured, its weights not read yet. */
  private FeatureExtractorRef extractor() {
    String weights =
        weights() != null ? weights() : FeatureExtractorRef.defaultWeights(extractorKind());
    checkArgument(
        weights != null,
        "ComputeFID.withWeights: the %s extractor needs weights: pytorch-fid's "
            + "pt_inception-2015-12-05-6726825d.pth (nothing is downloaded), or hash:SEED for random weights",
        extractorKind());
    return FeatureExtractorRef.at("ComputeFID.withWeights", extractorKind(), weights);
  }

  /**
   * Fails naming the reference file unless its statistics have the extractor's feature dimension.
   */
  static void checkReferenceDimension(
      String referenceStats, int referenceDim, FeatureExtractorRef extractor) {
    checkArgument(
        referenceDim == extractor.dim(),
        "%s: %s holds %s-d statistics, but ComputeFID.withExtractor(%s) "
            + "gives %s-d features; use reference statistics computed with the same extractor",
        AGAINST,
        referenceStats,
        referenceDim,
        extractor.kind(),
        extractor.dim());
  }

  @Override
  public void populateDisplayData(DisplayData.Builder builder) {
    super.populateDisplayData(builder);
    builder
        .add(DisplayData.item("referenceStats", referenceStats()).withLabel("Reference statistics"))
        .add(
            DisplayData.item("featureDimension", FeatureExtractorRef.dimensionOf(extractorKind()))
                .withLabel("Feature dimension"))
        .add(DisplayData.item("extractor", extractorKind()).withLabel("Feature extractor"))
        .addIfNotNull(DisplayData.item("weights", weights()).withLabel("Extractor weights"))
        .add(
            DisplayData.item("batchSize", batchSize()).withLabel("Images per feature-network call"))
        .addIfNotNull(
            DisplayData.item("vae", vae() == null ? null : vae().location())
                .withLabel("VAE decoder"))
        .addIfNotDefault(DisplayData.item("label", label()).withLabel("Label of the result"), "")
        .addIfNotNull(
            DisplayData.item("device", device() == null ? null : device().toString())
                .withLabel("Device"))
        .addIfNotDefault(
            DisplayData.item("validate", validate())
                .withLabel("Read files when the pipeline is built"),
            true);
  }

  /**
   * The feature dimension of a stats npz, from the header of {@code mu} only (the covariance is not
   * read here).
   */
  static int referenceDimension(String location) {
    ModelFiles.checkExists(AGAINST, location);
    try (NpzFile npz = NpzFile.open(ModelFiles.localCopy(location))) {
      if (!npz.contains("mu") || !npz.contains("sigma")) {
        throw new IllegalArgumentException(
            AGAINST
                + ": "
                + location
                + " is not an FID statistics file: needs arrays 'mu' and 'sigma', has "
                + npz.names());
      }
      NpyHeader mu = npz.header("mu");
      NpyHeader sigma = npz.header("sigma");
      long[] ms = mu.shape();
      long[] ss = sigma.shape();
      if (ms.length != 1 || ss.length != 2 || ss[0] != ms[0] || ss[1] != ms[0] || ms[0] <= 0) {
        throw new IllegalArgumentException(
            AGAINST
                + ": "
                + location
                + ": 'mu' "
                + java.util.Arrays.toString(ms)
                + " and 'sigma' "
                + java.util.Arrays.toString(ss)
                + " must be [d] and [d, d]");
      }
      return Math.toIntExact(ms[0]);
    } catch (IllegalArgumentException e) {
      throw e.getMessage() != null && e.getMessage().startsWith(AGAINST)
          ? e
          : new IllegalArgumentException(AGAINST + ": " + location + ": " + e.getMessage(), e);
    }
  }

  /** One generated sample as a one-image batch; a latent cannot be featurised. */
  static final class SampleToImageFn extends DoFn<GeneratedSample, ImageBatch> {
    /** As configured: read on the worker if the pipeline was built without validation. */
    private final @Nullable VaeRef vae;

    private final @Nullable ComputeDevice device;
    private transient @Nullable VaeRef resolvedVae;

    SampleToImageFn(@Nullable VaeRef vae) {
      this(vae, null);
    }

    SampleToImageFn(@Nullable VaeRef vae, @Nullable ComputeDevice device) {
      this.vae = vae;
      this.device = device;
    }

    @Setup
    public void setup() {
      resolvedVae = vae == null ? null : vae.resolve("ComputeFID.withVae");
    }

    @ProcessElement
    public void process(@Element GeneratedSample sample, OutputReceiver<ImageBatch> out) {
      GeneratedSample s = sample;
      if (!s.isImage() && resolvedVae != null) {
        // DiT's rounding: a latent sample does not say its family (CachedSample.withVae rounds by
        // the model's).
        s =
            resolvedVae
                .decode(
                    java.util.List.of(s),
                    org.l2cbeam.core.image.SampleQuantization.DIT,
                    ComputeDevice.resolveOrDefault(device))
                .get(0);
      }
      if (!s.isImage()) {
        throw new IllegalArgumentException(
            "ComputeFID: sample "
                + s.id()
                + " is a "
                + s.channels()
                + "x"
                + s.height()
                + "x"
                + s.width()
                + " latent, not an image: decode it to pixels before computing FID (ComputeFID.withVae or"
                + " CachedSample.withVae)");
      }
      out.output(new ImageBatch(1, s.height(), s.width(), s.channels(), s.image()));
    }
  }

  /**
   * Buffers images per window and shape, featurises full batches as they fill and the rest at the
   * end of the bundle, and emits one partial {@link FeatureStats} per window and bundle.
   */
  static final class FeaturiseFn extends DoFn<ImageBatch, FeatureStats> {
    private static final Logger LOG = LoggerFactory.getLogger(ComputeFID.class);
    private final Counter imagesFeaturised = Metrics.counter(ComputeFID.class, "imagesFeaturised");
    private final Counter featurisingMicros =
        Metrics.counter(ComputeFID.class, "featurisingMicros");
    private final Counter paddingImages = Metrics.counter(ComputeFID.class, "paddingImages");
    private final Distribution imagesPerSecond =
        Metrics.distribution(ComputeFID.class, "imagesPerSecond");
    private final Distribution batchMillis = Metrics.distribution(ComputeFID.class, "batchMillis");

    /**
     * As configured: its weights are read on the worker if the pipeline was built without
     * validation.
     */
    private final FeatureExtractorRef configuredExtractor;

    private final int batchSize;
    private final @Nullable ComputeDevice device;

    private transient FeatureExtractorRef extractorRef;
    private transient Map<BoundedWindow, Partial> partials;

    FeaturiseFn(FeatureExtractorRef extractorRef, int batchSize, @Nullable ComputeDevice device) {
      this.configuredExtractor = extractorRef;
      this.batchSize = batchSize;
      this.device = device;
    }

    /** One window's statistics so far and its images waiting for a full batch, by shape. */
    private static final class Partial {
      final FeatureStats stats;
      final Map<String, Pending> pending = new LinkedHashMap<>();
      Instant maxTimestamp = BoundedWindow.TIMESTAMP_MIN_VALUE;

      Partial(int dim) {
        stats = new FeatureStats(dim);
      }
    }

    /** Images of one shape, concatenated NHWC. */
    private static final class Pending {
      final int height;
      final int width;
      final int channels;
      final ByteArrayOutputStream pixels = new ByteArrayOutputStream();
      int count;

      Pending(ImageBatch b) {
        height = b.height();
        width = b.width();
        channels = b.channels();
      }

      ImageBatch take() {
        ImageBatch all = new ImageBatch(count, height, width, channels, pixels.toByteArray());
        pixels.reset();
        count = 0;
        return all;
      }
    }

    @Setup
    public void setup() {
      extractorRef = configuredExtractor.resolve();
    }

    @StartBundle
    public void startBundle() {
      partials = new HashMap<>();
    }

    @ProcessElement
    public void process(ProcessContext c, BoundedWindow window) {
      ImageBatch images = c.element();
      if (images.count() == 0) return;
      if (partials.isEmpty())
        LOG.info("ComputeFID: featurising a bundle ({} extractor)", extractorRef.kind());
      Partial p = partials.computeIfAbsent(window, w -> new Partial(extractorRef.dim()));
      if (c.timestamp().isAfter(p.maxTimestamp)) p.maxTimestamp = c.timestamp();
      String shape = images.height() + "x" + images.width() + "x" + images.channels();
      Pending pending = p.pending.computeIfAbsent(shape, s -> new Pending(images));
      pending.pixels.write(images.pixels(), 0, images.pixels().length);
      pending.count += images.count();
      if (pending.count >= batchSize) {
        ImageBatch all = pending.take();
        int full = all.count() / batchSize * batchSize;
        for (int from = 0; from < full; from += batchSize) {
          featurise(all.slice(from, from + batchSize), p.stats);
        }
        if (full < all.count()) {
          ImageBatch rest = all.slice(full, all.count());
          pending.pixels.write(rest.pixels(), 0, rest.pixels().length);
          pending.count = rest.count();
        }
      }
    }

    @FinishBundle
    public void finishBundle(FinishBundleContext c) {
      for (Map.Entry<BoundedWindow, Partial> e : partials.entrySet()) {
        Partial p = e.getValue();
        for (Pending pending : p.pending.values()) {
          if (pending.count > 0) featurise(pending.take(), p.stats);
        }
        if (p.stats.count() > 0) {
          LOG.info(
              "ComputeFID: featurised {} images of this bundle ({} extractor)",
              p.stats.count(),
              extractorRef.kind());
          c.output(p.stats, p.maxTimestamp, e.getKey());
        }
      }
      partials.clear();
    }

    private ImageBatch padded(ImageBatch batch) {
      return padTo(batch, batchSize);
    }

    private void featurise(ImageBatch batch, FeatureStats stats) {
      FeatureExtractor net = extractorRef.shared(ComputeDevice.resolveOrDefault(device));
      Torch.inferenceMode(); // grad mode is thread-local: set it on whichever thread runs this
      // bundle
      long start = System.nanoTime();
      float[][] features;
      try {
        // One call at a time per JVM, as CachedSample: libtorch spreads each call over every core
        // already.
        features =
            java.util.Arrays.copyOf(
                ModelCallGate.run(1, () -> net.features(padded(batch))), batch.count());
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException(
            "ComputeFID (" + extractorRef.kind() + " extractor): " + e.getMessage(), e);
      }
      long nanos = System.nanoTime() - start;
      stats.add(features);
      imagesFeaturised.inc(batch.count());
      paddingImages.inc(Math.max(0, batchSize - batch.count()));
      featurisingMicros.inc(nanos / 1000);
      batchMillis.update(nanos / 1_000_000);
      imagesPerSecond.update(Math.round(batch.count() * 1e9 / Math.max(nanos, 1)));
    }
  }

  /**
   * {@code batch} filled up to {@code batchSize} images with black ones (whose features are
   * dropped): the network always sees one input shape, so an image's features do not depend on how
   * bundles split the input (libtorch picks its convolution kernels by batch shape, and a different
   * kernel changes float32 rounding).
   */
  static ImageBatch padTo(ImageBatch batch, int batchSize) {
    if (batch.count() >= batchSize) return batch;
    byte[] pixels = java.util.Arrays.copyOf(batch.pixels(), batchSize * batch.imageBytes());
    return new ImageBatch(batchSize, batch.height(), batch.width(), batch.channels(), pixels);
  }

  /**
   * Merged statistics to the distance against the reference, read on the worker (the covariance may
   * be 33 MB).
   */
  private static ParDo.SingleOutput<FeatureStats, FidResult> frechet(
      FrechetFn fn, @Nullable PCollectionView<List<String>> scheduleIds) {
    ParDo.SingleOutput<FeatureStats, FidResult> p = ParDo.of(fn);
    return scheduleIds == null ? p : p.withSideInputs(scheduleIds);
  }

  static final class FrechetFn extends DoFn<FeatureStats, FidResult> {
    private static final Logger LOG = LoggerFactory.getLogger(ComputeFID.class);
    private final String referenceStats;
    private final FeatureExtractorRef extractor;
    private final String label;
    private final @Nullable PCollectionView<List<String>> scheduleIds;

    FrechetFn(
        String referenceStats,
        FeatureExtractorRef extractor,
        String label,
        @Nullable PCollectionView<List<String>> scheduleIds) {
      this.referenceStats = referenceStats;
      this.extractor = extractor;
      this.label = label;
      this.scheduleIds = scheduleIds;
    }

    @ProcessElement
    public void process(ProcessContext c) {
      FeatureStats stats = c.element();
      if (stats.count() < 2) {
        throw new IllegalArgumentException(
            "ComputeFID: FID needs at least 2 images (a covariance needs 2), got " + stats.count());
      }
      LOG.info(
          "ComputeFID: Fréchet distance of {} images against {}", stats.count(), referenceStats);
      long start = System.nanoTime();
      // Checked again here: without validation, this is the first time anything reads the
      // reference.
      checkReferenceDimension(referenceStats, referenceDimension(referenceStats), extractor);
      FidStats reference = FidStats.read(ModelFiles.localCopy(referenceStats));
      double fid;
      try {
        fid = FrechetDistance.compute(stats.toFidStats(), reference);
      } catch (IllegalArgumentException | ArithmeticException e) {
        throw new IllegalArgumentException(
            "ComputeFID against " + referenceStats + ": " + e.getMessage(), e);
      }
      LOG.info(
          "ComputeFID: FID {} over {} images against {} in {} s",
          fid,
          stats.count(),
          referenceStats,
          Logs.seconds(start));
      String schedule =
          scheduleIds == null
              ? ""
              : c.sideInput(scheduleIds).stream().sorted().collect(Collectors.joining(","));
      c.output(
          FidResult.of(
              fid,
              stats.count(),
              stats.dim(),
              extractor.description(),
              referenceStats,
              label,
              schedule));
    }
  }
}
