package org.l2cbeam.core.io;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.Test;
import org.l2cbeam.core.TestResources;
import org.l2cbeam.core.assets.BuiltinAssets;

/**
 * The torch.save reader against the reference vectors (written by real PyTorch 1.13), the shipped
 * builtin model, and hand-made fixtures (checkpoints/make_checkpoints.py) for the training/router
 * layouts and the tensor-view cases.
 */
public class TorchCheckpointTest {
  private static Path fixture(String name) {
    return TestResources.path("checkpoints/" + name);
  }

  @Test
  public void ditModelPtEqualsItsSafetensorsTwin() {
    assertSameTensors(
        TestResources.vector("dit_model.pt"), TestResources.vector("dit_model.safetensors"), 52);
  }

  @Test
  public void uvitModelPtEqualsItsSafetensorsTwin() {
    assertSameTensors(
        TestResources.vector("uvit_model.pt"), TestResources.vector("uvit_model.safetensors"), 67);
  }

  @Test
  public void vaeModelPtEqualsItsSafetensorsTwin() {
    assertSameTensors(
        TestResources.vector("vae/vae_model.pt"),
        TestResources.vector("vae/vae_model.safetensors"),
        -1);
  }

  private static void assertSameTensors(Path pt, Path safetensors, int expectedCount) {
    WeightMap a = WeightMap.open(pt);
    WeightMap b = WeightMap.open(safetensors);
    if (expectedCount >= 0) {
      assertEquals(expectedCount, a.names().size());
    }
    assertEquals(
        "same names in the same order", new ArrayList<>(b.names()), new ArrayList<>(a.names()));
    for (String name : a.names()) {
      TensorData x = a.get(name);
      TensorData y = b.get(name);
      assertEquals(name, y.dtype(), x.dtype());
      assertArrayEquals(name, y.shape(), x.shape());
      assertEquals(name + " bytes", y.bytes(), x.bytes());
    }
    assertEquals(b.fingerprint(), a.fingerprint());
    assertTrue(
        "storages are memory-mapped, not copied",
        a.get(a.names().iterator().next()).bytes().isDirect());
  }

  @Test
  public void readsTheShippedFmnistDitStateDict() {
    WeightMap w = WeightMap.open(BuiltinAssets.resolve("builtin:fmnist-dit"));
    assertArrayEquals(new long[] {128, 1, 4, 4}, w.shape("x_embedder.proj.weight"));
    assertArrayEquals(new long[] {384, 128}, w.shape("blocks.7.attn.qkv.weight"));
    assertArrayEquals(new long[] {11, 128}, w.shape("y_embedder.embedding_table.weight"));
    assertFalse(w.hasPrefix("ema"));
  }

  @Test
  public void readsTheTrainingLayoutWithEveryKindOfTensorView() {
    checkTrainingLayout(fixture("training_layout.pt"));
  }

  @Test
  public void readsZip64LocalHeadersAndPickleProtocol4() {
    checkTrainingLayout(fixture("training_layout_zip64_proto4.pt"));
  }

  @SuppressWarnings("unchecked")
  private static void checkTrainingLayout(Path file) {
    WeightMap w = WeightMap.open(file);
    // Shared storage of 0..11: a parameter, an offset view, a transposed view and a strided 1-D
    // view.
    assertArrayEquals(
        new float[] {0, 1, 2, 3, 4, 5}, floats(w, "model.blocks.0.attn.qkv.weight"), 0f);
    assertArrayEquals(new long[] {2, 3}, w.shape("model.blocks.0.attn.qkv.weight"));
    assertArrayEquals(new float[] {6, 7, 8}, floats(w, "model.blocks.0.attn.qkv.bias"), 0f);
    assertArrayEquals(
        new float[] {0, 3, 1, 4, 2, 5}, floats(w, "model.blocks.0.mlp.fc1.weight"), 0f);
    assertTrue(
        "a contiguous view is a slice of the mapped storage",
        w.get("model.blocks.0.attn.qkv.bias").bytes().isDirect());
    assertArrayEquals(new long[] {3, 2}, w.shape("model.blocks.0.mlp.fc1.weight"));
    assertArrayEquals(new float[] {9, 11}, floats(w, "model.blocks.0.mlp.fc1.bias"), 0f);
    assertEquals(DType.F64, w.get("model.pos_embed").dtype());
    assertArrayEquals(new double[] {0.5, -1.25}, w.get("model.pos_embed").toDoubleArray(), 0);
    assertEquals(DType.F16, w.get("model.half").dtype());
    assertArrayEquals(new float[] {1f, -2.5f, 0.099975586f}, floats(w, "model.half"), 0f);
    assertEquals(DType.BF16, w.get("model.bf16").dtype());
    assertArrayEquals(new float[] {1f, -2.5f, 3.140625f}, floats(w, "model.bf16"), 0f);
    assertArrayEquals(new long[] {7, -8, 1L << 40}, w.get("model.labels").toLongArray());
    assertArrayEquals(new long[0], w.shape("model.scalar"));
    assertArrayEquals(new float[] {3.5f}, floats(w, "model.scalar"), 0f);
    assertArrayEquals(
        new float[] {0, 10, 20, 30, 40, 50}, floats(w, "ema.blocks.0.attn.qkv.weight"), 0f);
    assertEquals(w.get("model.pos_embed").bytes(), w.get("ema.pos_embed").bytes());
    assertArrayEquals(new float[] {0.25f, 0.5f}, floats(w, "opt.state.0.exp_avg"), 0f);
    assertEquals(
        List.of(
            "model.blocks.0.attn.qkv.weight",
            "model.blocks.0.attn.qkv.bias",
            "model.blocks.0.mlp.fc1.weight",
            "model.blocks.0.mlp.fc1.bias",
            "model.pos_embed",
            "model.half",
            "model.bf16",
            "model.labels",
            "model.scalar",
            "ema.blocks.0.attn.qkv.weight",
            "ema.pos_embed",
            "opt.state.0.exp_avg",
            "opt.state.0.exp_avg_sq"),
        new ArrayList<>(w.names()));

    WeightMap ema = w.withPrefix("ema");
    assertEquals(2, ema.names().size());

    Map<String, Object> meta = w.metadata();
    Map<String, Object> args = (Map<String, Object>) meta.get("args");
    assertEquals("DiT-S/2", args.get("model"));
    assertEquals(32L, args.get("image_size"));
    assertEquals(1e-4, args.get("lr"));
    assertEquals(Boolean.FALSE, args.get("wandb"));
    assertTrue(args.containsKey("ckpt"));
    assertEquals(null, args.get("ckpt"));
    assertEquals(List.of(0.9, 0.999), args.get("betas"));
    assertEquals(11340L, meta.get("opt.state.0.step"));
    List<Object> groups = (List<Object>) meta.get("opt.param_groups");
    assertEquals(0.001, ((Map<String, Object>) groups.get(0)).get("lr"));
  }

  @Test
  public void readsTheRouterLayout() {
    WeightMap w = WeightMap.open(fixture("router_layout.pt"));
    assertEquals(
        List.of("routers.0.prob", "routers.1.prob", "routers.2.prob", "routers.3.prob"),
        new ArrayList<>(w.names()));
    assertArrayEquals(new float[] {1, 0, 5, -5}, floats(w, "routers.3.prob"), 0f);
    @SuppressWarnings("unchecked")
    Map<String, Object> args = (Map<String, Object>) w.metadata().get("args");
    assertEquals(4L, args.get("num_sampling_steps"));
  }

  @Test
  public void readsTheOfficialRouterCheckpoints() {
    WeightMap dit = WeightMap.open(TestResources.path("routers/DDIM20_router.pt"));
    assertArrayEquals(new long[] {56}, dit.shape("routers.19.prob"));
    assertTrue(dit.metadata().get("args") instanceof Map);
    WeightMap uvit = WeightMap.open(TestResources.path("routers/dpm20_router.pth"));
    assertEquals(20, uvit.names().size());
    assertArrayEquals(new long[] {58}, uvit.shape("0.prob"));
  }

  /**
   * The Fashion-MNIST DiT's real training checkpoint (torch 1.13; {"model", "ema", "opt", "args"}
   * with args an argparse.Namespace), cut from 40 MB to 120 kB by
   * checkpoints/make_fmnist_training_checkpoint.py: the same pickle tree, names, dtypes and shapes,
   * each tensor an expanded (stride 0) view of its real first value.
   */
  @Test
  @SuppressWarnings("unchecked")
  public void readsTheFmnistTrainingCheckpointLayout() {
    WeightMap w = WeightMap.open(fixture("fmnist_dit_training.pt"));
    WeightMap shipped = WeightMap.open(BuiltinAssets.resolve("builtin:fmnist-dit"));
    for (String part : new String[] {"ema", "model"}) {
      WeightMap weights = w.withPrefix(part);
      assertEquals(part, new ArrayList<>(shipped.names()), new ArrayList<>(weights.names()));
      for (String name : shipped.names()) {
        assertArrayEquals(part + "." + name, shipped.shape(name), weights.shape(name));
        assertEquals(part + "." + name, shipped.get(name).dtype(), weights.get(name).dtype());
      }
    }
    float[] patch = floats(w, "ema.x_embedder.proj.weight");
    assertEquals(128 * 16, patch.length);
    for (float v : patch) assertEquals(-0.0819520652294159f, v, 0f);
    // AdamW state for the 91 trained parameters (0 is the frozen pos_embed), each with a 0-d step.
    assertArrayEquals(new long[] {128, 1, 4, 4}, w.shape("opt.state.1.exp_avg_sq"));
    assertArrayEquals(new long[0], w.shape("opt.state.91.step"));
    assertEquals(3 * 91, w.withPrefix("opt.state").names().size());
    assertEquals(92 + 92 + 3 * 91, w.names().size());
    Map<String, Object> args = (Map<String, Object>) w.metadata().get("args");
    assertEquals("facebookresearch/DiT", args.get("dit"));
    assertEquals(8L, args.get("depth"));
    assertEquals(5685L, args.get("step"));
    assertEquals(true, args.get("reset_ema"));
    List<Map<String, Object>> groups =
        (List<Map<String, Object>>) w.metadata().get("opt.param_groups");
    assertEquals(92, ((List<Object>) groups.get(0).get("params")).size());
    assertEquals(5e-5, (Double) groups.get(0).get("lr"), 0);
  }

  // ---------------------------------------------------------------- bad input

  @Test
  public void refusesOsSystemWithoutRunningIt() throws Exception {
    Path pwned = Path.of("/tmp/l2c-pwned");
    Files.deleteIfExists(pwned);
    Path f = fixture("bad_global_os_system.pt");
    assertFails(f, "'posix.system' is not on the allow-list");
    assertFalse("nothing was executed", Files.exists(pwned));
  }

  @Test
  public void refusesBuiltinsEval() {
    // Protocol 2 spells Python 3's builtins module as __builtin__.
    assertFails(
        fixture("bad_global_builtins_eval.pt"), "'__builtin__.eval' is not on the allow-list");
  }

  @Test
  public void refusesForbiddenGlobalsViaStackGlobal() {
    assertFails(fixture("bad_stack_global_proto4.pt"), "'posix.system' is not on the allow-list");
  }

  @Test
  public void refusesReduceOnAnAllowListedTypeThatIsNotCallable() {
    assertFails(
        fixture("bad_reduce_storage_type.pt"), "REDUCE on forbidden callable 'torch.FloatStorage'");
  }

  @Test
  public void refusesAZipWithoutDataPkl() {
    assertFails(fixture("bad_no_data_pkl.pt"), "no data.pkl");
  }

  @Test
  public void refusesAStorageWhoseSizeDisagreesWithDataPkl() {
    assertFails(
        fixture("bad_storage_size.pt"),
        "storage data/0 holds 16 bytes, but data.pkl declares 10 x torch.FloatStorage");
  }

  @Test
  public void refusesATensorViewPastItsStorage() {
    assertFails(fixture("bad_view_out_of_range.pt"), "tensor view out of range");
  }

  @Test
  public void refusesAMissingStorageRecord() {
    assertFails(
        fixture("bad_missing_storage.pt"),
        "storage 'archive/data/0' referenced by data.pkl is missing");
  }

  @Test
  public void refusesTheLegacyFormat() {
    assertFails(fixture("bad_legacy.pt"), "unsupported legacy format");
  }

  @Test
  public void refusesATruncatedZip() throws Exception {
    byte[] whole = Files.readAllBytes(fixture("training_layout.pt"));
    Path cut = Files.createTempFile("truncated", ".pt");
    try {
      Files.write(cut, java.util.Arrays.copyOf(whole, whole.length / 2));
      assertFails(cut, "truncated or corrupt");
    } finally {
      Files.deleteIfExists(cut);
    }
  }

  @Test
  public void refusesATruncatedDataPkl() throws Exception {
    Path cut = Files.createTempFile("truncated-pickle", ".pt");
    try {
      try (var zip = new java.util.zip.ZipFile(fixture("training_layout.pt").toFile());
          var out = new java.util.zip.ZipOutputStream(Files.newOutputStream(cut))) {
        for (var e : java.util.Collections.list(zip.entries())) {
          byte[] b = zip.getInputStream(e).readAllBytes();
          out.putNextEntry(new java.util.zip.ZipEntry(e.getName()));
          out.write(b, 0, e.getName().endsWith("data.pkl") ? b.length / 2 : b.length);
          out.closeEntry();
        }
      }
      assertFails(cut, "pickle data ends unexpectedly");
    } finally {
      Files.deleteIfExists(cut);
    }
  }

  @Test
  public void readsARezippedDeflatedCheckpointUnderAnotherPrefix() throws Exception {
    Path rezipped = Files.createTempFile("rezipped", ".pt");
    try {
      try (var zip = new java.util.zip.ZipFile(fixture("training_layout.pt").toFile());
          var out = new java.util.zip.ZipOutputStream(Files.newOutputStream(rezipped))) {
        for (var e : java.util.Collections.list(zip.entries())) {
          out.putNextEntry(new java.util.zip.ZipEntry(e.getName().replace("archive/", "renamed/")));
          out.write(zip.getInputStream(e).readAllBytes());
          out.closeEntry();
        }
      }
      WeightMap original = WeightMap.open(fixture("training_layout.pt"));
      WeightMap deflated = WeightMap.open(rezipped);
      assertEquals(new ArrayList<>(original.names()), new ArrayList<>(deflated.names()));
      assertEquals(original.fingerprint(), deflated.fingerprint());
      assertEquals(original.metadata(), deflated.metadata());
    } finally {
      Files.deleteIfExists(rezipped);
    }
  }

  // ------------------------------------------------- hostile object graphs: an error, never a hang
  // or a crash

  /** A torch-style zip whose data.pkl is {@code pickle}. */
  private static Path zipWithPickle(java.io.ByteArrayOutputStream pickle) throws Exception {
    Path f = Files.createTempFile("hostile", ".pt");
    try (var out = new java.util.zip.ZipOutputStream(Files.newOutputStream(f))) {
      out.putNextEntry(new java.util.zip.ZipEntry("archive/data.pkl"));
      out.write(pickle.toByteArray());
      out.closeEntry();
    }
    f.toFile().deleteOnExit();
    return f;
  }

  private static void put(java.io.ByteArrayOutputStream p, char op, int memo) {
    p.write(op);
    p.write(memo);
    p.write(memo >>> 8);
    p.write(memo >>> 16);
    p.write(memo >>> 24);
  }

  @Test
  public void refusesAnExponentiallySharedGraph() throws Exception {
    // L0 = [], Lk = [L(k-1), L(k-1)]: 300 bytes that expand to 2^40 nodes.
    var p = new java.io.ByteArrayOutputStream();
    p.write(0x80);
    p.write(2);
    p.write(']');
    put(p, 'r', 0);
    for (int k = 1; k <= 40; k++) {
      p.write('0');
      p.write(']');
      p.write('(');
      put(p, 'j', k - 1);
      put(p, 'j', k - 1);
      p.write('e');
      put(p, 'r', k);
    }
    p.write('.');
    assertFails(zipWithPickle(p), "object graph too large");
  }

  @Test
  public void refusesDeepNesting() throws Exception {
    // L0 = [L1], L1 = [L2], ... 100 000 levels: would overflow the stack of a naive recursive walk.
    var p = new java.io.ByteArrayOutputStream();
    p.write(0x80);
    p.write(2);
    p.write(']');
    put(p, 'r', 0);
    for (int k = 1; k <= 100_000; k++) {
      put(p, 'j', k - 1);
      p.write(']');
      put(p, 'r', k);
      p.write('a');
      p.write('0');
    }
    p.write('.');
    assertFails(zipWithPickle(p), "containers nested deeper than 64 levels");
  }

  @Test
  public void refusesASelfContainingList() throws Exception {
    var p = new java.io.ByteArrayOutputStream();
    p.writeBytes(new byte[] {(byte) 0x80, 2, ']'});
    put(p, 'r', 0);
    put(p, 'j', 0);
    p.write('a');
    p.write('.');
    assertFails(zipWithPickle(p), "containers nested deeper than 64 levels");
  }

  @Test
  public void refusesAnUnhashableDictKey() throws Exception {
    var p = new java.io.ByteArrayOutputStream();
    p.writeBytes(new byte[] {(byte) 0x80, 2, '}', ']'});
    put(p, 'r', 0);
    put(p, 'j', 0);
    p.write('a'); // the key list contains itself: hashing it would never end
    p.write('N');
    p.write('s');
    p.write('.');
    assertFails(zipWithPickle(p), "unsupported dict key of type list");
  }

  @Test
  public void allowListIsSmallAndHasNoExecutableGlobals() {
    for (String g : TorchCheckpoint.allowedGlobals()) {
      assertTrue(
          g,
          g.startsWith("torch.")
              || g.startsWith("collections.")
              || g.startsWith("argparse.")
              || g.startsWith("builtins.")
              || g.startsWith("__builtin__.")
              || g.startsWith("_codecs."));
      assertFalse(
          g,
          g.contains("eval")
              || g.contains("exec")
              || g.contains("system")
              || g.contains("getattr"));
    }
  }

  static void assertFails(Path file, String problem) {
    try {
      WeightMap.open(file);
      fail("expected an error for " + file);
    } catch (CheckpointFormatException e) {
      assertThat(e.getMessage(), containsString(file.toString()));
      assertThat(e.getMessage(), containsString(problem));
    }
  }

  private static float[] floats(WeightMap w, String name) {
    return w.get(name).toFloatArray();
  }
}
