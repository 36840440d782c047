package org.l2cbeam.core.model;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertThrows;

import java.util.List;
import org.junit.Test;
import org.l2cbeam.core.TestResources;
import org.l2cbeam.core.io.CheckpointFormatException;
import org.l2cbeam.core.io.WeightMap;
import org.l2cbeam.core.router.ModelFamily;
import org.l2cbeam.core.router.UnitMacs;

/**
 * Opening either family from a file: detection, head counts, the family interface, and the errors.
 */
public class ModelCheckpointTest {
  private static final String DIT = TestResources.vector("dit_model.pt").toString();
  private static final String UVIT = TestResources.vector("uvit_model.pt").toString();

  @Test
  public void theFamilyIsDetectedFromTheKeys() {
    assertEquals(ModelFamily.DIT, ModelCheckpoint.open(DIT).family());
    assertEquals(ModelFamily.UVIT, ModelCheckpoint.open(UVIT).family());
    assertEquals(ModelFamily.DIT, ModelCheckpoint.open("builtin:fmnist-dit").family());
    assertEquals(
        ModelFamily.UVIT,
        ModelFamily.detect(WeightMap.open(TestResources.vector("uvit_model.safetensors"))));
  }

  @Test
  public void aUViTLoadsThroughTheFamilyInterface() {
    try (DiffusionTransformer m = ModelCheckpoint.open(UVIT).load(4, ModelExecution.defaults())) {
      assertEquals(ModelFamily.UVIT, m.family());
      assertEquals(10, m.units());
      assertEquals(
          List.of(
              "in0.attn",
              "in0.mlp",
              "in1.attn",
              "in1.mlp",
              "mid.attn",
              "mid.mlp",
              "out0.attn",
              "out0.mlp",
              "out1.attn",
              "out1.mlp"),
          m.unitNames());
      assertEquals("11 label rows: 10 classes and the null label", 10, m.numClasses());
      assertEquals(10, m.nullLabel());
      assertEquals(4, m.inChannels());
      assertEquals(8, m.inputSize());
      assertEquals(4, m.numHeads());
      assertEquals(4, m.describe().get("num_heads"));
      assertEquals(UnitMacs.of(((UViT) m).config()).fullForward(), m.macs().fullForward(), 0);
    }
  }

  @Test
  public void aDiTLoadsThroughTheFamilyInterface() {
    try (DiffusionTransformer m = ModelCheckpoint.open(DIT).load(4, ModelExecution.defaults())) {
      assertEquals(ModelFamily.DIT, m.family());
      assertEquals(8, m.units());
      assertEquals(10, m.numClasses());
      assertEquals(10, m.nullLabel());
      assertEquals("block3.mlp", m.unitNames().get(7));
    }
  }

  @Test
  public void theHeadCountComesFromTheCallerElseTheReleasedTable() {
    ModelCheckpoint u = ModelCheckpoint.open(UVIT);
    assertEquals(4, u.heads(4));
    assertEquals("width 64, no config.json: one head per 64 channels", 1, u.heads(0));
    assertEquals(4, u.validate(4).numHeads);
    assertEquals(10, u.validate(4).numClasses);
  }

  @Test
  public void aCheckpointOfAnotherFamilyOrNoModelIsRejectedNamingTheFile() {
    CheckpointFormatException e =
        assertThrows(
            CheckpointFormatException.class, () -> ModelCheckpoint.open(UVIT, ModelFamily.DIT));
    assertThat(e.getMessage(), containsString("uvit_model.pt"));
    assertThat(e.getMessage(), containsString("holds a uvit model, but a dit model was asked for"));
    String vae = TestResources.vector("vae/vae_model.safetensors").toString();
    e = assertThrows(CheckpointFormatException.class, () -> ModelCheckpoint.open(vae));
    assertThat(e.getMessage(), containsString("vae_model.safetensors"));
    assertThat(e.getMessage(), containsString("neither a DiT checkpoint"));
  }
}
