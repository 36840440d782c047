package org.l2cbeam.core.router.train;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertThrows;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

public class RouterCheckpointTest {
  @Rule public TemporaryFolder tmp = new TemporaryFolder();

  private static TrainingSettings settings() {
    return new TrainingSettings(
        20,
        5e-6,
        AdamWConfig.l2c(1e-3),
        4,
        7,
        TrainingSettings.RANDOM_CACHE_STEP,
        AdamW.ZeroGrad.SET_TO_NONE);
  }

  private static RouterTrainingState someState() {
    RouterTrainingState s = RouterTrainingState.initial(settings(), 16);
    float[][] grads = new float[20][];
    grads[4] = new float[16];
    for (int u = 0; u < 16; u++) grads[4][u] = 0.01f * (u - 8);
    s.optimizer().step(s.mutableLogits(), grads);
    s.completeIteration(0.5f, 0.49f, 8.1f, 4);
    s.completeIteration(0.25f, 0.24f, 8.0f, 12);
    return s;
  }

  @Test
  public void roundTripsEveryBitOfTheState() {
    Path file = tmp.getRoot().toPath().resolve("r.train.safetensors");
    RouterTrainingState s = someState();
    new RouterCheckpoint(settings(), "modelfp", "datafp", s).write(file);
    RouterCheckpoint back = RouterCheckpoint.read(file);
    assertEquals(s, back.state());
    assertEquals(settings(), back.settings());
    assertEquals("modelfp", back.modelFingerprint());
    assertEquals("datafp", back.dataFingerprint());
    assertEquals(1, back.state().optimizer().steps(4));
  }

  @Test
  public void initialRoutersAreStandardNormalAndSeeded() {
    RouterTrainingState a = RouterTrainingState.initial(settings(), 56);
    RouterTrainingState b = RouterTrainingState.initial(settings(), 56);
    assertEquals(a, b);
    double sum = 0;
    double sq = 0;
    int n = 0;
    for (float[] row : a.logits()) {
      for (float p : row) {
        sum += p;
        sq += p * p;
        n++;
      }
    }
    assertEquals(0, sum / n, 0.15);
    assertEquals(1, sq / n, 0.15);
  }

  @Test
  public void checkpointLivesBesideTheOutput() {
    assertEquals(
        Path.of("/x/y/DDIM20.train.safetensors"),
        RouterCheckpoint.besideOutput(Path.of("/x/y/DDIM20.json")));
  }

  @Test
  public void refusesADifferentModel() {
    Path file = tmp.getRoot().toPath().resolve("r.train.safetensors");
    new RouterCheckpoint(settings(), "aaaa", "datafp", someState()).write(file);
    RouterCheckpoint back = RouterCheckpoint.read(file);
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> back.checkResumable(file, settings(), "bbbb", "datafp"));
    assertThat(e.getMessage(), containsString(file.toString()));
    assertThat(e.getMessage(), containsString("--model"));
  }

  @Test
  public void refusesDifferentSettings() {
    Path file = tmp.getRoot().toPath().resolve("r.train.safetensors");
    new RouterCheckpoint(settings(), "m", "d", someState()).write(file);
    TrainingSettings other =
        new TrainingSettings(
            20,
            1e-6,
            AdamWConfig.l2c(1e-3),
            4,
            7,
            TrainingSettings.RANDOM_CACHE_STEP,
            AdamW.ZeroGrad.SET_TO_NONE);
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> RouterCheckpoint.read(file).checkResumable(file, other, "m", "d"));
    assertThat(e.getMessage(), containsString("settings"));
  }

  @Test
  public void missingCheckpointIsNamed() throws Exception {
    Path file = tmp.getRoot().toPath().resolve("none.train.safetensors");
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> RouterCheckpoint.read(file));
    assertThat(e.getMessage(), containsString(file.toString()));
    Files.writeString(file, "garbage");
    RuntimeException f = assertThrows(RuntimeException.class, () -> RouterCheckpoint.read(file));
    assertThat(f.getMessage(), containsString(file.toString()));
  }

  /**
   * Writes {@code someState()} to a checkpoint, then replaces tensor {@code name} by {@code
   * values}.
   */
  private Path corrupted(String name, float[] values) throws Exception {
    Path file = tmp.getRoot().toPath().resolve("c.train.safetensors");
    new RouterCheckpoint(settings(), "modelfp", "datafp", someState()).write(file);
    org.l2cbeam.core.io.SafetensorsFile.Contents c = org.l2cbeam.core.io.SafetensorsFile.read(file);
    java.util.Map<String, org.l2cbeam.core.io.TensorData> t =
        new java.util.LinkedHashMap<>(c.tensors);
    t.put(name, org.l2cbeam.core.io.TensorData.ofFloats(c.tensors.get(name).shape(), values));
    Path bad = tmp.getRoot().toPath().resolve("bad.train.safetensors");
    org.l2cbeam.core.io.SafetensorsWriter.write(bad, t, c.metadata);
    return bad;
  }

  @Test
  public void aCorruptCheckpointIsRefusedNamingTensorRowAndUnit() throws Exception {
    float[] logits = new float[20 * 16];
    logits[4 * 16 + 3] = Float.NaN;
    Path bad = corrupted("logits", logits);
    org.l2cbeam.core.io.CheckpointFormatException e =
        assertThrows(
            org.l2cbeam.core.io.CheckpointFormatException.class, () -> RouterCheckpoint.read(bad));
    assertThat(
        e.getMessage(),
        containsString(bad + ": tensor 'logits' row 4, unit 3 (block1.mlp): NaN is not finite"));

    float[] v = new float[20 * 16];
    v[7] = -1;
    Path negative = corrupted("adam.exp_avg_sq", v);
    e =
        assertThrows(
            org.l2cbeam.core.io.CheckpointFormatException.class,
            () -> RouterCheckpoint.read(negative));
    assertThat(
        e.getMessage(), containsString("tensor 'adam.exp_avg_sq' row 0, unit 7: -1.0 is negative"));

    Path badLoss = corrupted("history.loss", new float[] {0.5f, Float.POSITIVE_INFINITY});
    e =
        assertThrows(
            org.l2cbeam.core.io.CheckpointFormatException.class,
            () -> RouterCheckpoint.read(badLoss));
    assertThat(
        e.getMessage(), containsString("tensor 'history.loss' entry 1: Infinity is not finite"));
  }
}
