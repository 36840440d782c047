package org.l2cbeam.pipelines.cli;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.lessThan;
import static org.hamcrest.Matchers.lessThanOrEqualTo;
import static org.hamcrest.Matchers.not;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import com.google.gson.Gson;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import com.google.gson.stream.JsonReader;
import java.io.IOException;
import java.io.StringReader;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import java.util.zip.GZIPOutputStream;
import org.junit.AfterClass;
import org.junit.BeforeClass;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.junit.runners.Parameterized;
import org.junit.runners.Parameterized.Parameters;
import org.l2cbeam.core.io.DType;
import org.l2cbeam.core.io.SafetensorsFile;
import org.l2cbeam.core.io.SafetensorsWriter;
import org.l2cbeam.core.io.TensorData;
import org.l2cbeam.core.io.WeightMap;
import org.l2cbeam.core.router.ModelFamily;
import org.l2cbeam.core.router.RouterArtifact;
import org.l2cbeam.core.router.RouterScores;
import org.l2cbeam.pipelines.PipelineOutputs;
import org.l2cbeam.pipelines.cli.HostileFiles.Entry;

/**
 * Hostile and faulty input, as an attacker or a careless user gives it, through the {@code l2c}
 * command line and the pipelines: decompression bombs, pickle bombs, corrupt records, NaN and
 * infinity in routers, checkpoints and options, outputs that cannot be written, wrong dtypes, wrong
 * formats, files that are not files. Every case runs in one child JVM with {@code -Xmx512m} ({@link
 * HostileCliBatch}) and must end in a clear one-line error with exit code 2, within bounded time
 * and memory (no {@link OutOfMemoryError}, a bounded peak RSS), leaving nothing under a final name
 * and no {@code .partial} file. A few cases check what a run that succeeds writes (valid JSON, the
 * success marker).
 *
 * <p>The files are generated here (a 1 GiB deflate bomb is 1 MB and half a second); cases needing a
 * full or read-only file system mount a small tmpfs, and run only where that is allowed (root).
 */
@RunWith(Parameterized.class)
public class HostileInputTest {
  /** Wall-time bound of one case; the bombs took 44 s and more before, now well under a second. */
  private static final long CASE_MILLIS = 60_000;

  private static final long BOMB_MILLIS = 15_000;

  /**
   * Peak RSS bound of the whole child JVM (libtorch and a 512 MiB heap included); the bombs reached
   * 2.7-5.5 GB.
   */
  private static final long PEAK_RSS_MIB = 1536;

  private static final Path RESOURCES = Path.of("../l2c-core/src/test/resources").toAbsolutePath();
  private static final Path SMALL_DIT = RESOURCES.resolve("vectors/dit_model.safetensors");

  private static Path dir;
  private static final List<Case> CASES = new ArrayList<>();
  private static final List<Path> MOUNTS = new ArrayList<>();
  private static final Map<String, JsonObject> RESULTS = new LinkedHashMap<>();
  private static String childOutput = "";

  /** One command line, what it must print, and what must not exist after it. */
  static final class Case {
    final String id;
    final List<String> args;
    final int code;
    final List<String> fragments;
    final List<Path> absent = new ArrayList<>();
    long millis = CASE_MILLIS;
    Consumer<JsonObject> extra = r -> {};

    Case(String id, int code, List<String> fragments, String... args) {
      this.id = id;
      this.code = code;
      this.fragments = fragments;
      this.args = List.of(args);
    }

    Case absent(Path... paths) {
      absent.addAll(List.of(paths));
      return this;
    }

    Case within(long limit) {
      millis = limit;
      return this;
    }

    Case then(Consumer<JsonObject> check) {
      extra = check;
      return this;
    }

    @Override
    public String toString() {
      return id;
    }
  }

  private static Case fails(String id, List<String> fragments, String... args) {
    Case c = new Case(id, 2, fragments, args);
    CASES.add(c);
    return c;
  }

  private static Case succeeds(String id, String... args) {
    Case c = new Case(id, 0, List.of(), args);
    CASES.add(c);
    return c;
  }

  private final Case c;

  public HostileInputTest(Case c) {
    this.c = c;
  }

  @Parameters(name = "{0}")
  public static Collection<Object[]> cases() throws Exception {
    if (CASES.isEmpty()) {
      dir = Files.createTempDirectory("l2c-hostile");
      defineCases();
    }
    return CASES.stream().map(x -> new Object[] {x}).collect(Collectors.toList());
  }

  @BeforeClass
  public static void runAllCasesInASmallHeap() throws Exception {
    Path casesFile = dir.resolve("cases.jsonl");
    Path resultsFile = dir.resolve("results.jsonl");
    Gson gson = new Gson();
    StringBuilder lines = new StringBuilder();
    for (Case x : CASES) {
      lines.append(gson.toJson(Map.of("id", x.id, "args", x.args))).append('\n');
    }
    Files.writeString(casesFile, lines.toString());
    Path java = Path.of(System.getProperty("java.home"), "bin", "java");
    ProcessBuilder pb =
        new ProcessBuilder(
            java.toString(),
            "-Xmx512m",
            "-Dai.djl.offline=true",
            "-Dorg.slf4j.simpleLogger.defaultLogLevel=error",
            "-cp",
            System.getProperty("java.class.path"),
            HostileCliBatch.class.getName(),
            casesFile.toString(),
            resultsFile.toString());
    pb.redirectErrorStream(true);
    pb.redirectOutput(dir.resolve("child.log").toFile());
    Process p = pb.start();
    boolean ended = p.waitFor(20, TimeUnit.MINUTES);
    if (!ended) p.destroyForcibly();
    childOutput = Files.readString(dir.resolve("child.log"));
    assertTrue("the batch JVM ended in time; its output: " + childOutput, ended);
    assertEquals("the batch JVM exit code; its output: " + childOutput, 0, p.exitValue());
    for (String l : Files.readAllLines(resultsFile)) {
      JsonObject r = JsonParser.parseString(l).getAsJsonObject();
      RESULTS.put(r.get("id").getAsString(), r);
      System.out.printf(
          "%-44s exit %2d %6d ms  peak RSS %5d MiB  %s%n",
          r.get("id").getAsString(),
          r.get("code").getAsInt(),
          r.get("millis").getAsLong(),
          r.get("peakRssMiB").getAsLong(),
          r.get("stderr").getAsString().strip().replace('\n', ' '));
    }
  }

  @AfterClass
  public static void cleanUp() throws Exception {
    for (Path m : MOUNTS) new ProcessBuilder("umount", m.toString()).inheritIO().start().waitFor();
    if (dir != null) {
      try (Stream<Path> all = Files.walk(dir)) {
        all.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
      }
    }
  }

  @Test
  public void endsAsExpectedWithinBoundsLeavingNothing() throws Exception {
    JsonObject r = RESULTS.get(c.id);
    assertTrue("no result for " + c.id + "; batch output: " + childOutput, r != null);
    String err = r.get("stderr").getAsString();
    String out = r.get("stdout").getAsString();
    String both = out + err;
    assertFalse("nothing escaped L2c.execute: " + r.get("thrown"), r.has("thrown"));
    assertEquals("exit code; stderr: " + err, c.code, r.get("code").getAsInt());
    for (String f : c.fragments) assertThat(err, containsString(f));
    assertThat("time", r.get("millis").getAsLong(), lessThan(c.millis));
    assertThat(both, not(containsString("OutOfMemoryError")));
    assertThat(both, not(containsString("\tat ")));
    assertThat(r.get("peakRssMiB").getAsLong(), lessThan(PEAK_RSS_MIB));
    if (c.code == 2) {
      assertThat(err, containsString("l2c: error: "));
      assertThat(
          "one error line (plus a usage hint)",
          err.strip().split("\n").length,
          lessThanOrEqualTo(3));
      assertThat("no Java class names", err, not(containsString("Exception")));
      assertThat("no Java class names", err, not(containsString("java.")));
      assertThat("no library links", err, not(containsString("https://")));
    }
    for (Path p : c.absent) assertFalse(p + " must not exist after " + c.id, Files.exists(p));
    try (Stream<Path> all = Files.walk(dir)) {
      List<Path> partials =
          all.filter(f -> f.getFileName().toString().endsWith(".partial")).toList();
      assertEquals("no .partial file anywhere", List.of(), partials);
    }
    c.extra.accept(r);
  }

  // ------------------------------------------------------------------------------------------------- the cases

  private static void defineCases() throws Exception {
    Path out = Files.createDirectories(dir.resolve("out"));
    String model = "builtin:fmnist-dit";
    String[] sample = {"sample", "--model", model, "--steps", "2", "--labels", "1"};

    // 1. Decompression bombs: every loader reads at most what a record declares, and never inflates
    // past it.
    long gib = 1L << 30;
    byte[] zeros = HostileFiles.deflatedZeros(gib);
    long zerosCrc = HostileFiles.crcOfZeros(gib);
    Path lying =
        HostileFiles.torch(
            dir.resolve("bomb-declares-40-bytes.pt"),
            Entry.stored("archive/data.pkl", HostileFiles.floatStateDict("w", 10)),
            new Entry("archive/data/0", true, zeros, 40, HostileFiles.crcOfZeros(40)));
    fails(
            "bombInspect",
            List.of(lying.toString(), "inflates to more than the 40 bytes it declares"),
            "inspect",
            lying.toString())
        .within(BOMB_MILLIS);
    fails(
            "bombAsSampleModel",
            List.of("inflates to more than the 40 bytes it declares"),
            concat(
                new String[] {
                  "sample",
                  "--model",
                  lying.toString(),
                  "--steps",
                  "2",
                  "--labels",
                  "1",
                  "--output",
                  out.resolve("bomb.safetensors").toString()
                }))
        .within(BOMB_MILLIS)
        .absent(out.resolve("bomb.safetensors"));
    Path honest =
        HostileFiles.torch(
            dir.resolve("bomb-honest-1gib.pt"),
            Entry.stored(
                "archive/data.pkl", HostileFiles.floatStateDict("routers.0.prob", gib / 4)),
            new Entry("archive/data/0", true, zeros, gib, zerosCrc));
    fails(
            "honestGibInflatedInA512MiBHeap",
            List.of("needs 1073741824 bytes of heap, more than this JVM has"),
            "router",
            "show",
            honest.toString())
        .within(BOMB_MILLIS);
    Path mismatch =
        HostileFiles.torch(
            dir.resolve("bomb-size-mismatch.pt"),
            Entry.stored("archive/data.pkl", HostileFiles.floatStateDict("w", 10)),
            new Entry("archive/data/0", true, zeros, gib, zerosCrc));
    Path z = dir.resolve("z.safetensors");
    SafetensorsWriter.write(
        z, Map.of("z", TensorData.ofFloats(new long[] {1, 4, 8, 8}, new float[256])));
    fails(
            "storageSizeCheckedBeforeReading",
            List.of(
                "storage data/0 holds 1073741824 bytes, but data.pkl declares 10 x torch.FloatStorage = 40 bytes"),
            "vae",
            "decode",
            "--model",
            mismatch.toString(),
            "--input",
            z.toString(),
            "--output",
            out.resolve("v.safetensors").toString())
        .within(BOMB_MILLIS)
        .absent(out.resolve("v.safetensors"));
    Path bigPickle =
        HostileFiles.torch(
            dir.resolve("pickle-64mib-string.pt"),
            Entry.deflated(
                "archive/data.pkl",
                new HostileFiles.Pickle().proto().longString(64L << 20).op('.').bytes()));
    fails(
            "dataPklCap",
            List.of(
                "zip record archive/data.pkl declares 67108876 bytes, over the 16777216-byte limit"),
            "inspect",
            bigPickle.toString())
        .within(BOMB_MILLIS);
    Path dicts =
        HostileFiles.torch(
            dir.resolve("pickle-3m-dicts.pt"),
            Entry.deflated(
                "archive/data.pkl",
                new HostileFiles.Pickle()
                    .proto()
                    .repeat(3_000_000, '}', '0')
                    .op('N')
                    .op('.')
                    .bytes()));
    fails(
            "pickleValueBudget",
            List.of("pickle builds more than 2000000 values"),
            "inspect",
            dicts.toString())
        .within(BOMB_MILLIS);
    Path memo =
        HostileFiles.torch(
            dir.resolve("pickle-memo-bomb.pt"),
            Entry.deflated(
                "archive/data.pkl",
                new HostileFiles.Pickle().proto().op('}').repeat(3_000_000, 0x94).op('.').bytes()));
    fails(
            "pickleMemoBudget",
            List.of("pickle builds more than 2000000 values"),
            "inspect",
            memo.toString())
        .within(BOMB_MILLIS);
    Path idx = Files.createDirectories(dir.resolve("idx-bomb"));
    writeGzipIdx(idx.resolve("train-images-idx3-ubyte.gz"), 2_000_000, 28, 28);
    writeGzipIdx(idx.resolve("train-labels-idx1-ubyte.gz"), 2_000_000);
    fails(
            "idxGzipBomb",
            List.of("more than this", "gzip file can hold"),
            "router",
            "train",
            "--model",
            model,
            "--data",
            idx.toString(),
            "--steps",
            "1",
            "--out",
            out.resolve("idx.json").toString())
        .within(BOMB_MILLIS)
        .absent(out.resolve("idx.json"));

    // 7. Corrupt records: the zip CRC-32 is checked (inflated records always, mapped ones by
    // inspect).
    byte[] tenFloats = HostileFiles.floats(1, 2, 3, 4, 5, 6, 7, 8, 9, 10);
    Path crcStored =
        HostileFiles.torch(
            dir.resolve("crc-stored.pt"),
            Entry.stored("archive/data.pkl", HostileFiles.floatStateDict("w", 10)),
            new Entry("archive/data/0", false, tenFloats, 40, HostileFiles.crc(tenFloats) ^ 1));
    fails(
        "storedCrcVerifiedByInspect",
        List.of("zip record archive/data/0 is corrupt: its CRC-32 is"),
        "inspect",
        crcStored.toString());
    Path crcDeflated =
        HostileFiles.torch(
            dir.resolve("crc-deflated.pt"),
            Entry.stored("archive/data.pkl", HostileFiles.floatStateDict("routers.0.prob", 10)),
            new Entry(
                "archive/data/0",
                true,
                HostileFiles.deflate(tenFloats),
                40,
                HostileFiles.crc(tenFloats) ^ 1));
    fails(
        "inflatedCrcVerifiedByEveryLoader",
        List.of("zip record archive/data/0 is corrupt"),
        "router",
        "show",
        crcDeflated.toString());

    // 2. One finite-value policy: routers, checkpoints, options.
    Path nanRouter = routerJson("router-nan.json", "NaN");
    fails(
        "nanRouterShow",
        List.of(nanRouter.toString(), "row 0, unit 3 (block1.mlp): logit NaN is not finite"),
        "router",
        "show",
        nanRouter.toString());
    fails(
            "nanRouterSample",
            List.of("row 0, unit 3 (block1.mlp): logit NaN is not finite"),
            concat(
                sample,
                "--router",
                nanRouter.toString(),
                "--output",
                out.resolve("nan.safetensors").toString()))
        .absent(out.resolve("nan.safetensors"));
    Path infRouter = routerJson("router-overflow.json", "1e39");
    fails(
            "overflowingRouterConvert",
            List.of("logit Infinity is not finite"),
            "router",
            "convert",
            infRouter.toString(),
            "--out",
            out.resolve("conv.json").toString())
        .absent(out.resolve("conv.json"));
    fails(
            "nanCfgScale",
            List.of("Invalid value for option '--cfg-scale': 'NaN' is not a finite number"),
            concat(
                sample,
                "--cfg-scale",
                "NaN",
                "--output",
                out.resolve("cfg.safetensors").toString()))
        .absent(out.resolve("cfg.safetensors"));
    fails(
        "infiniteTheta",
        List.of("'--theta': 'Infinity' is not a finite number"),
        "router",
        "show",
        routerJson("router-ok.json", "0.5").toString(),
        "--theta",
        "Infinity");
    fails(
            "nanPipelineOption",
            List.of("--cfg-scale: NaN is not a finite number"),
            "pipeline",
            "sample",
            "--labels",
            "1",
            "--cfg-scale",
            "NaN",
            "--output",
            out.resolve("pnan").toString())
        .absent(out.resolve("pnan"));
    Path nanWeights = dir.resolve("nan.safetensors");
    SafetensorsWriter.write(
        nanWeights,
        Map.of(
            "a",
            TensorData.ofFloats(
                new long[] {3}, new float[] {1, Float.NaN, Float.NEGATIVE_INFINITY}),
            "b",
            TensorData.ofFloats(new long[] {2}, new float[] {1, 2})));
    succeeds("inspectWritesValidJsonWithNullAndAFlag", "inspect", nanWeights.toString())
        .then(
            r -> {
              Map<String, JsonObject> lines = new LinkedHashMap<>();
              for (JsonObject l : strictJsonLines(r.get("stdout").getAsString())) {
                lines.put(l.has("name") ? l.get("name").getAsString() : "meta", l);
              }
              assertEquals(
                  List.of("a", "b", "meta"), List.copyOf(new java.util.TreeSet<>(lines.keySet())));
              assertTrue(lines.get("a").get("sum").isJsonNull());
              assertTrue(lines.get("a").get("l2").isJsonNull());
              assertEquals(2, lines.get("a").get("nonFinite").getAsInt());
              assertEquals(3.0, lines.get("b").get("sum").getAsDouble(), 0);
              assertFalse(lines.get("b").has("nonFinite"));
            });

    // Training checkpoints: a corrupt one is refused by name; --steps below it is refused.
    Path trained = dir.resolve("train/r.json");
    String[] train = {
      "router",
      "train",
      "--model",
      model,
      "--data",
      "builtin:fashion-mnist",
      "--batch",
      "2",
      "--checkpoint-every",
      "1",
      "--log-every",
      "0"
    };
    int code = L2c.execute(concat(train, "--steps", "3", "--out", trained.toString()));
    assertEquals("router train --data builtin:fashion-mnist is accepted", 0, code);
    Path checkpoint = dir.resolve("train/r.train.safetensors");
    Path nanCheckpoint =
        Files.createDirectories(dir.resolve("nan-ckpt")).resolve("r.train.safetensors");
    writeWithNanLogit(checkpoint, nanCheckpoint);
    fails(
            "nanResumeCheckpoint",
            List.of(
                nanCheckpoint.toString(),
                "tensor 'logits' row 0, unit 3 (block1.mlp): NaN is not finite"),
            concat(
                train,
                "--steps",
                "4",
                "--resume",
                "--out",
                dir.resolve("nan-ckpt/r.json").toString()))
        .absent(dir.resolve("nan-ckpt/r.json"));
    fails(
        "resumeBelowTheCheckpointsIteration",
        List.of("already trained 3 iterations, more than the 1 asked for (--steps)"),
        concat(train, "--steps", "1", "--resume", "--out", trained.toString()));

    // 3. Outputs checked before any work, naming the option.
    Path aDirectory = Files.createDirectories(dir.resolve("a-directory"));
    fails(
            "sampleOutputIsADirectory",
            List.of("--output " + aDirectory + ": is a directory"),
            concat(sample, "--output", aDirectory.toString()))
        .within(10_000);
    fails(
            "routerTrainOutIsADirectory",
            List.of("--out " + aDirectory + ": is a directory"),
            concat(train, "--steps", "2", "--out", aDirectory.toString()))
        .within(10_000);
    if (Files.isDirectory(Path.of("/sys/kernel"))) {
      // sysfs refuses new files even to root, though access(2) says it is writable: the check must
      // really write.
      fails(
              "sampleOutputUnwritable",
              List.of(
                  "--output /sys/kernel/x.safetensors: cannot write in /sys/kernel:"
                      + " permission denied"),
              concat(sample, "--output", "/sys/kernel/x.safetensors"))
          .within(10_000);
      fails(
              "pipelineOutputUnwritable",
              List.of("--output /sys/kernel/l2c-out: cannot write in /sys/kernel"),
              "pipeline",
              "sample",
              "--labels",
              "1",
              "--steps",
              "2",
              "--output",
              "/sys/kernel/l2c-out")
          .within(30_000);
    }
    Path cli = Files.createDirectories(dir.resolve("cli"));
    Files.write(cli.resolve(".s.safetensors.123.partial"), new byte[10]);
    succeeds(
            "staleCliPartialRemoved",
            concat(sample, "--output", cli.resolve("s.safetensors").toString()))
        .then(r -> assertTrue(Files.isRegularFile(cli.resolve("s.safetensors"))));
    Path published = Files.createDirectories(dir.resolve("published"));
    Files.write(published.resolve(".samples.npz.456.partial"), new byte[10]);
    Files.writeString(published.resolve(PipelineOutputs.MARKER), "{\"stale\": true}");
    succeeds(
            "pipelineWritesItsSuccessMarkerLast",
            "pipeline",
            "sample",
            "--labels",
            "1,2",
            "--steps",
            "2",
            "--output",
            published.toString())
        .then(r -> assertMarkerLists(published, "samples.npz", "samples.png"));
    if (mount(dir.resolve("full"), 64 << 10)) {
      // A file system with one page free: samples.npz fits, samples.png does not.
      Files.write(dir.resolve("full/filler"), new byte[60 << 10]);
      Path full = dir.resolve("full/run");
      fails(
              "pipelineDiskFullPublishesNothing",
              List.of(full.toString(), "No space left on device"),
              "pipeline",
              "sample",
              "--labels",
              "1,2",
              "--steps",
              "2",
              "--output",
              full.toString())
          .absent(
              full.resolve("samples.npz"),
              full.resolve("samples.png"),
              full.resolve(PipelineOutputs.MARKER));
      fails(
              "sampleNeedsMoreSpaceThanFree",
              List.of("--output", "needs about", "free in"),
              concat(sample, "--output", dir.resolve("full/x.safetensors").toString()))
          .absent(dir.resolve("full/x.safetensors"));
    }
    if (mount(dir.resolve("ro"), 64 << 10) && remountReadOnly(dir.resolve("ro"))) {
      fails(
              "sampleOutputOnReadOnlyFs",
              List.of("Read-only file system"),
              concat(sample, "--output", dir.resolve("ro/x.safetensors").toString()))
          .within(10_000);
      fails(
              "pipelineOutputOnReadOnlyFs",
              List.of("--output", "Read-only file system"),
              "pipeline",
              "sample",
              "--labels",
              "1",
              "--steps",
              "2",
              "--output",
              dir.resolve("ro/run").toString())
          .within(30_000);
    }

    // 4. Dtypes checked at load and at every tensor input, naming file and tensor.
    Path i32 =
        withTensor(
            SMALL_DIT, "i32-weight.safetensors", "blocks.0.attn.qkv.weight", DType.I32, false);
    Path input = dir.resolve("forward-in.safetensors");
    SafetensorsWriter.write(
        input,
        Map.of(
            "x", TensorData.ofFloats(new long[] {1, 4, 8, 8}, new float[256]),
            "t", TensorData.ofLongs(new long[] {1}, new long[] {10}),
            "y", TensorData.ofLongs(new long[] {1}, new long[] {1})));
    fails(
            "i32Weight",
            List.of(i32.toString(), "wrong dtypes: [blocks.0.attn.qkv.weight is I32]"),
            "forward",
            "--num-heads",
            "4",
            "--model",
            i32.toString(),
            "--input",
            input.toString(),
            "--output",
            out.resolve("f.safetensors").toString())
        .absent(out.resolve("f.safetensors"));
    Path noise = dir.resolve("noise-f64.safetensors");
    SafetensorsWriter.write(
        noise, Map.of("z", TensorData.ofDoubles(new long[] {1, 1, 28, 28}, new double[784])));
    fails(
            "f64Noise",
            List.of(noise.toString(), "tensor 'z' is F64"),
            concat(
                sample,
                "--noise",
                noise.toString(),
                "--output",
                out.resolve("n.safetensors").toString()))
        .absent(out.resolve("n.safetensors"));
    Path transposed =
        withTensor(SMALL_DIT, "transposed.safetensors", "x_embedder.proj.weight", DType.F32, true);
    fails(
        "transposedTensorNamedOnce",
        List.of(
            "x_embedder.proj.weight [4, 64, 2, 2] gives hidden size 4, but pos_embed",
            "transposed"),
        "forward",
        "--num-heads",
        "4",
        "--model",
        transposed.toString(),
        "--input",
        input.toString(),
        "--output",
        out.resolve("t.safetensors").toString());

    // 6. Messages that say the right thing.
    Path text = Files.writeString(dir.resolve("garbage.pt"), "this is not a checkpoint\n");
    fails(
        "textAsCheckpoint",
        List.of(text + ": not a tensor file: it is a text file"),
        "inspect",
        text.toString());
    Path gzip = dir.resolve("gzipped.pt");
    try (GZIPOutputStream g = new GZIPOutputStream(Files.newOutputStream(gzip))) {
      g.write(new byte[100]);
    }
    fails("gzipAsCheckpoint", List.of("it is a gzip file"), "inspect", gzip.toString());
    Path binary = Files.write(dir.resolve("random.pt"), new byte[] {7, 1, 2, 3, 0, 5, 6, 9, 8, 1});
    fails(
        "unknownBytesAsCheckpoint",
        List.of("its first bytes (07 01 02 03 00 05 06 09) are not a known format"),
        "inspect",
        binary.toString());
    Path npz =
        HostileFiles.zip(dir.resolve("arrays.pt"), List.of(Entry.stored("a.npy", new byte[16])));
    fails("npzAsCheckpoint", List.of("a NumPy .npz archive"), "inspect", npz.toString());
    Path badJson =
        Files.writeString(
            dir.resolve("broken.json"), "{\"format\": \"l2c-router\", \"scores\": [1, 2");
    fails(
        "brokenRouterJson",
        List.of(badJson + ": router JSON is not valid JSON"),
        "router",
        "show",
        badJson.toString());
    Path textRouter = Files.writeString(dir.resolve("router.txt"), "hello\n");
    fails(
        "textAsRouter",
        List.of("not a router: it is a text file"),
        "router",
        "show",
        textRouter.toString());
    fails(
        "directoryAsInput",
        List.of(aDirectory + ": is a directory, not a file"),
        "inspect",
        aDirectory.toString());
    Path fifo = dir.resolve("a-fifo");
    if (new ProcessBuilder("mkfifo", fifo.toString()).start().waitFor() == 0) {
      fails(
              "fifoAsInput",
              List.of("not a regular file (a named pipe, socket or device)"),
              "inspect",
              fifo.toString())
          .within(10_000);
    }
    Path dangling = Files.createSymbolicLink(dir.resolve("dangling.pt"), dir.resolve("nowhere.pt"));
    fails(
        "danglingLink",
        List.of("dangling symbolic link (to " + dir.resolve("nowhere.pt")),
        "inspect",
        dangling.toString());
    Path unreadable = Files.write(dir.resolve("unreadable.pt"), new byte[100]);
    unreadable.toFile().setReadable(false, false);
    if (!Files.isReadable(unreadable)) { // root reads anything
      fails(
          "permissionDenied",
          List.of(unreadable + ": permission denied"),
          "inspect",
          unreadable.toString());
    }
    Path hugeHeader = dir.resolve("huge-header.safetensors");
    Files.write(
        hugeHeader, ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putLong(-1).array());
    fails(
        "unsignedHeaderLength",
        List.of("invalid safetensors header length 18446744073709551615"),
        "inspect",
        hugeHeader.toString());
    fails(
        "thetaNamed",
        List.of("--theta must be in [0, 1], got 2.0"),
        "router",
        "show",
        routerJson("router-ok2.json", "0.5").toString(),
        "--theta",
        "2");
    fails(
            "outOfMemoryIsOneLine",
            List.of("out of memory (the JVM's heap limit is"),
            "sample",
            "--model",
            model,
            "--steps",
            "1",
            "--labels",
            String.join(",", java.util.Collections.nCopies(200_000, "1")),
            "--output",
            out.resolve("oom.safetensors").toString())
        .absent(out.resolve("oom.safetensors"));

    // 7. The smaller items.
    fails(
            "seedWrapAround",
            List.of("--seed: seed 9223372036854775807 + 1 runs past the largest seed"),
            "sample",
            "--model",
            model,
            "--steps",
            "2",
            "--labels",
            "1,2",
            "--seed",
            "9223372036854775807",
            "--output",
            out.resolve("seed.safetensors").toString())
        .absent(out.resolve("seed.safetensors"));
    succeeds("routerHelp", "router", "--help")
        .then(r -> assertThat(r.get("stdout").getAsString(), containsString("Usage: l2c router")));
    succeeds("pipelineHelpListsItsOptions", "pipeline", "sample", "--help")
        .then(
            r -> {
              String o = r.get("stdout").getAsString();
              assertThat(o, containsString("Options of the sample pipeline"));
              assertThat(o, containsString("--labels"));
              assertThat(o, containsString("--cfgScale"));
            });
    fails(
        "parseErrorIsShort",
        List.of("Unknown option: '--bogus'", "Run 'l2c sample --help' for its options."),
        concat(sample, "--output", out.resolve("p.safetensors").toString(), "--bogus"));
  }

  // ------------------------------------------------------------------------------------------------- helpers

  private static String[] concat(String[] a, String... b) {
    String[] all = Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, all, a.length, b.length);
    return all;
  }

  /**
   * A router JSON for the builtin DiT (2 steps x 16 units) whose row 0, unit 3 is written as {@code
   * literal}.
   */
  private static Path routerJson(String name, String literal) throws IOException {
    float[][] logits = new float[2][16];
    logits[0][3] = 0.125f;
    String json =
        new RouterArtifact(
                null,
                new RouterScores(ModelFamily.DIT, logits),
                null,
                0.5,
                new RouterArtifact.Provenance(
                    "hostile", null, "2026-01-01T00:00:00Z", "test", Map.of()))
            .toJson()
            .replaceFirst("0\\.125", literal);
    return Files.writeString(dir.resolve(name), json);
  }

  /**
   * A copy of {@code source} with tensor {@code name} converted to {@code dtype} or its first two
   * axes swapped.
   */
  private static Path withTensor(
      Path source, String file, String name, DType dtype, boolean swapAxes) throws IOException {
    Map<String, TensorData> tensors = new LinkedHashMap<>(WeightMap.open(source).tensors());
    TensorData t = tensors.get(name);
    long[] shape = t.shape();
    float[] v = t.toFloatArray();
    if (swapAxes) {
      long inner = v.length / (shape[0] * shape[1]);
      float[] s = new float[v.length];
      for (int i = 0; i < shape[0]; i++) {
        for (int j = 0; j < shape[1]; j++) {
          System.arraycopy(
              v,
              (int) ((i * shape[1] + j) * inner),
              s,
              (int) ((j * shape[0] + i) * inner),
              (int) inner);
        }
      }
      long d = shape[0];
      shape[0] = shape[1];
      shape[1] = d;
      tensors.put(name, TensorData.ofFloats(shape, s));
    } else {
      ByteBuffer b = ByteBuffer.allocate(4 * v.length).order(ByteOrder.LITTLE_ENDIAN);
      for (float x : v) b.putInt(Math.round(x * 100));
      tensors.put(name, new TensorData(dtype, shape, b.flip()));
    }
    Path out = dir.resolve(file);
    SafetensorsWriter.write(out, tensors);
    return out;
  }

  /** A copy of training checkpoint {@code from} whose logit at row 0, unit 3 is NaN. */
  private static void writeWithNanLogit(Path from, Path to) throws IOException {
    SafetensorsFile.Contents c = SafetensorsFile.read(from);
    Map<String, TensorData> tensors = new LinkedHashMap<>(c.tensors);
    TensorData logits = tensors.get("logits");
    float[] v = logits.toFloatArray();
    v[3] = Float.NaN;
    tensors.put("logits", TensorData.ofFloats(logits.shape(), v));
    SafetensorsWriter.write(to, tensors, c.metadata);
  }

  /**
   * A gzip IDX file whose header declares {@code dims} (unsigned bytes), with no data: a few dozen
   * bytes.
   */
  private static void writeGzipIdx(Path file, int... dims) throws IOException {
    ByteBuffer b = ByteBuffer.allocate(4 + 4 * dims.length).order(ByteOrder.BIG_ENDIAN);
    b.put((byte) 0).put((byte) 0).put((byte) 8).put((byte) dims.length);
    for (int d : dims) b.putInt(d);
    try (GZIPOutputStream g = new GZIPOutputStream(Files.newOutputStream(file))) {
      g.write(b.array());
    }
  }

  /** Every line of {@code text} parses as strict JSON (no NaN, no Infinity). */
  private static List<JsonObject> strictJsonLines(String text) {
    List<JsonObject> out = new ArrayList<>();
    for (String line : text.strip().split("\n")) {
      try {
        JsonReader reader = new JsonReader(new StringReader(line));
        reader.setLenient(false);
        JsonElement e = com.google.gson.internal.Streams.parse(reader);
        out.add(e.getAsJsonObject());
      } catch (RuntimeException e) {
        throw new AssertionError("not strict JSON: " + line, e);
      }
    }
    return out;
  }

  /**
   * The marker in {@code folder} lists exactly {@code names}, each with its real size and sha256.
   */
  private static void assertMarkerLists(Path folder, String... names) {
    try {
      JsonObject m =
          JsonParser.parseString(Files.readString(folder.resolve(PipelineOutputs.MARKER)))
              .getAsJsonObject();
      assertEquals("sample", m.get("pipeline").getAsString());
      List<String> listed = new ArrayList<>();
      for (JsonElement e : m.getAsJsonArray("files")) {
        JsonObject f = e.getAsJsonObject();
        Path p = folder.resolve(f.get("name").getAsString());
        listed.add(f.get("name").getAsString());
        assertEquals(Files.size(p), f.get("bytes").getAsLong());
        String sha =
            HexFormat.of()
                .formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(p)));
        assertEquals(sha, f.get("sha256").getAsString());
      }
      assertEquals(List.of(names), listed);
    } catch (IOException | java.security.NoSuchAlgorithmException e) {
      throw new AssertionError(e);
    }
  }

  /**
   * Mounts a tmpfs of {@code bytes} at {@code at}; false where that is not allowed (not root, a
   * container).
   */
  private static boolean mount(Path at, long bytes) throws Exception {
    Files.createDirectories(at);
    Process p =
        new ProcessBuilder("mount", "-t", "tmpfs", "-o", "size=" + bytes, "tmpfs", at.toString())
            .redirectErrorStream(true)
            .start();
    p.getInputStream().readAllBytes();
    if (p.waitFor() != 0) return false;
    MOUNTS.add(0, at);
    return true;
  }

  private static boolean remountReadOnly(Path at) throws Exception {
    Process p =
        new ProcessBuilder("mount", "-o", "remount,ro", at.toString())
            .redirectErrorStream(true)
            .start();
    p.getInputStream().readAllBytes();
    return p.waitFor() == 0;
  }
}
